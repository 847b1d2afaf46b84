"""No report format leaks a secret: registered values and secret-looking patterns are masked."""

from __future__ import annotations

import json

import pytest

from infra_verify.gate import GateRun
from infra_verify.model import Observation, Result, Status
from infra_verify.redact import Redactor
from infra_verify.reporters import REPORTERS, ReportOptions, render

DSN = "postgresql://app:Sup3rS3cret@db/x"
DSN_PASSWORD = "Sup3rS3cret"
TOKEN = "abc.def.ghi123"
AUTH = f"Authorization: Bearer {TOKEN}"


def _secret_run(*secrets: str) -> GateRun:
    """A failed run that mentions each secret in every text field a reporter may print."""
    results = []
    for i, secret in enumerate(secrets):
        results.append(
            Result(
                f"check-{i}",
                "http",
                Status.FAIL,
                f"connect failed using {secret}",
                observations=(
                    Observation("dsn", secret, f"refused for {secret}", False, f"via {secret}"),
                ),
                hint=f"gcloud secrets versions access latest  # was {secret}",
                warnings=(f"sent {secret}",),
            )
        )
    results.append(
        Result(
            "down",
            "websocket",
            Status.FAIL,
            f"explained failure with {secrets[0]}",
            explained_by=("check-0",),
        )
    )
    return GateRun(results=tuple(results), environment="staging")


@pytest.mark.parametrize("fmt", sorted(REPORTERS))
def test_registered_secrets_never_appear(fmt: str) -> None:
    """A DSN password and a bearer token registered in the Redactor are masked in every format."""
    redactor = Redactor([DSN_PASSWORD, TOKEN])
    run = _secret_run(DSN, AUTH)
    out = render(fmt, run, ReportOptions(redactor=redactor, verbose=2, title="staging"))
    assert DSN_PASSWORD not in out
    assert TOKEN not in out
    assert "***" in out or "%2A%2A%2A" in out  # the mask is visible, the text is still there


@pytest.mark.parametrize("fmt", sorted(REPORTERS))
def test_unregistered_url_password_is_masked_by_pattern(fmt: str) -> None:
    """A user:password URL nobody registered is still masked, with the default redactor."""
    url = "https://deploy:hunter2pass@api.staging.example/health"
    out = render(fmt, _secret_run(url), ReportOptions(verbose=2))
    assert "hunter2pass" not in out
    assert "deploy:***@api.staging.example" in out


@pytest.mark.parametrize("fmt", sorted(set(REPORTERS) - {"json"}))
def test_secrets_with_markup_characters_are_masked_before_encoding(fmt: str) -> None:
    """A secret with & < > " % \\ is masked before XML/JSON/%-escaping could disguise it."""
    secret = 'p&ss<w>"rd%5\\x'
    out = render(fmt, _secret_run(f"password {secret}"), ReportOptions(redactor=Redactor([secret])))
    assert secret not in out
    for encoded in ("p&amp;ss", '\\"rd', "rd%255", "p\\&ss"):
        assert encoded not in out, encoded


def test_json_masks_secrets_with_quotes_and_backslashes() -> None:
    """The JSON report must not leak a registered secret that contains a quote or backslash."""
    secret = 'p&ss<w>"rd%5\\x'
    out = render(
        "json", _secret_run(f"password {secret}"), ReportOptions(redactor=Redactor([secret]))
    )
    decoded = json.loads(out)["results"][0]
    assert secret not in decoded["summary"]
    assert secret not in (decoded["hint"] or "")
