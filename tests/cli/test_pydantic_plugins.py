"""The CLI's stand-in for pydantic's plugin loader answers as pydantic does with plugins off."""

from __future__ import annotations

import importlib
import sys

import pytest
from pydantic import BaseModel

from infra_verify.cli.pydantic_plugins import ENV, MODULE, StandIn, skip_lookup

real_loader = importlib.import_module(MODULE)  # pydantic's own (this process imported it)


@pytest.mark.parametrize("value", ["__all__", "1", "true"])
def test_no_plugins_while_they_are_off(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    """With PYDANTIC_DISABLE_PLUGINS at a value that turns every plugin off: none."""
    monkeypatch.setenv(ENV, value)
    assert StandIn().get_plugins() == ()


def test_plugins_on_again_go_to_pydantic(monkeypatch: pytest.MonkeyPatch) -> None:
    """Once plugins are on again, the real loader answers (and its names are reachable)."""
    monkeypatch.delenv(ENV, raising=False)
    stand_in = StandIn()
    assert list(stand_in.get_plugins()) == list(real_loader.get_plugins())
    assert stand_in.PYDANTIC_ENTRY_POINT_GROUP == real_loader.PYDANTIC_ENTRY_POINT_GROUP
    with pytest.raises(AttributeError):
        stand_in.no_such_name  # noqa: B018


def test_installed_only_while_off_and_before_pydantic_looked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """skip_lookup() leaves pydantic alone when plugins are on or its loader is loaded."""
    monkeypatch.setenv(ENV, "")
    assert skip_lookup() is False
    monkeypatch.setenv(ENV, "__all__")
    assert skip_lookup() is False  # this process imported the real loader already
    assert sys.modules[MODULE] is real_loader


def test_models_build_and_validate_under_the_stand_in(monkeypatch: pytest.MonkeyPatch) -> None:
    """A model defined while the stand-in is installed validates as usual."""
    monkeypatch.setenv(ENV, "__all__")
    monkeypatch.delitem(sys.modules, MODULE)
    assert skip_lookup() is True
    assert isinstance(sys.modules[MODULE], StandIn)

    class Probe(BaseModel):
        port: int

    assert Probe.model_validate({"port": "443"}).port == 443
