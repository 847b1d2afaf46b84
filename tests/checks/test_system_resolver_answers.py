"""The system resolver's getaddrinfo errors: a negative answer about the name, or no answer.

getaddrinfo's error codes are read from :mod:`socket` on first use (listing a policy imports
no socket); these cases pin the mapping. getaddrinfo itself is replaced: which error the
operating system's resolver returns cannot be arranged on loopback.
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest

from infra_verify.budget import Budget
from infra_verify.checks.dns import ServerAnswer
from infra_verify.checks.resolve import system_addresses
from infra_verify.context import CheckContext
from infra_verify.errors import ProbeError


def _ask(monkeypatch: pytest.MonkeyPatch, error: BaseException | None) -> Any:
    def getaddrinfo(host: str, *args: Any, **kwargs: Any) -> Any:
        if error is not None:
            raise error
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", 0))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)

    async def ask() -> Any:
        ctx = CheckContext(allow_loopback=True)
        try:
            return await system_addresses("svc.example.test", ctx, Budget.for_probe(5.0))
        finally:
            ctx.close()

    return asyncio.run(ask())


def test_an_address_passes_through(monkeypatch: pytest.MonkeyPatch) -> None:
    """An answer with an address gives the address."""
    assert _ask(monkeypatch, None) == ("127.0.0.1",)


@pytest.mark.parametrize(
    ("code", "rcode"),
    [("EAI_NONAME", "NXDOMAIN"), ("EAI_FAIL", "SERVFAIL")],
)
def test_a_negative_answer_is_the_resolvers_word(
    monkeypatch: pytest.MonkeyPatch, code: str, rcode: str
) -> None:
    """EAI_NONAME is NXDOMAIN and EAI_FAIL is SERVFAIL: what the resolver said about the name."""
    answer = _ask(monkeypatch, socket.gaierror(getattr(socket, code), "no such name"))
    assert isinstance(answer, ServerAnswer)
    assert answer.rcode == rcode


def test_a_failure_to_ask_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """EAI_AGAIN (the resolver could not be asked) raises ProbeError: the verdict is ERROR."""
    with pytest.raises(ProbeError, match="failed"):
        _ask(monkeypatch, socket.gaierror(socket.EAI_AGAIN, "temporary failure"))
