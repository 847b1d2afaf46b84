"""Every address answers: the tls, http and websocket checks dial each address a host has.

A load balancer with two addresses (or IPv4 and IPv6) is probed at each, and each is judged:
one bad address fails the check and is named, with the others shown as fine. ``addresses:
first`` keeps the old behaviour (the first address only). An IPv6 address is dialled only
where this machine has an IPv6 route; elsewhere it is reported as not probed (a warning: it
neither passes nor fails the check).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from pydantic import Field

from infra_verify.checks.resolve import Resolution
from infra_verify.errors import ProbeError
from infra_verify.lazy import lazy_module
from infra_verify.model import Outcome, Status

if TYPE_CHECKING:
    import asyncio
    import socket
else:
    asyncio = lazy_module("asyncio", rebind=True)  # imported by a run, not by --list
    socket = lazy_module("socket", rebind=True)  # imported by a run, not by --list

T = TypeVar("T")

AddressMode = Literal["all", "first"]


def addresses_field() -> Any:
    """The ``addresses:`` policy key of the tls, http and websocket checks."""
    return Field(
        default="all",
        description=(
            "'all': dial every A and AAAA address the resolvers return and judge each; "
            "'first': only the first"
        ),
    )


def has_ipv6_route(address: str) -> bool:
    """True when this machine can send to the IPv6 ``address`` (a route exists; nothing sent)."""
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
            s.connect((address.strip("[]"), 9))
    except OSError:
        return False
    return True


def to_dial(
    resolution: Resolution | None, fallback: str, mode: AddressMode
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(addresses to dial, IPv6 addresses not probed for want of an IPv6 route)."""
    every = resolution.every() if resolution is not None else ()
    if not every:
        return (fallback,), ()
    if mode == "first":
        every = every[:1]
    dial = tuple(a for a in every if ":" not in a or has_ipv6_route(a))
    skipped = tuple(a for a in every if a not in dial)
    if not dial:  # nothing reachable from here: dial anyway and let the error say so
        return every, ()
    return dial, skipped


async def each(addresses: Sequence[str], probe: Callable[[str], Awaitable[T]]) -> list[T]:
    """``probe`` at every address concurrently; a ProbeError at one names it and the others."""
    if len(addresses) == 1:
        return [await probe(addresses[0])]
    results = await asyncio.gather(*(probe(a) for a in addresses), return_exceptions=True)
    for address, result in zip(addresses, results, strict=True):
        if isinstance(result, ProbeError):
            others = [a for a, r in zip(addresses, results, strict=True) if a != address]
            fine = [
                a
                for a, r in zip(addresses, results, strict=True)
                if not isinstance(r, BaseException)
            ]
            tail = f" (also dialled: {', '.join(others)}; answered: {', '.join(fine) or 'none'})"
            raise ProbeError(f"{address}: {result}{tail}", hint=result.hint) from result
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return [r for r in results if not isinstance(r, BaseException)]


def not_probed_warnings(skipped: Sequence[str], notes: Sequence[str] = ()) -> tuple[str, ...]:
    """Warnings for IPv6 addresses this machine cannot reach and questions left unanswered."""
    return tuple(
        f"{a}: not probed (this machine has no IPv6 route); it is neither passed nor failed"
        for a in skipped
    ) + tuple(notes)


def combine(per_address: Sequence[tuple[str, Outcome]], warnings: Sequence[str] = ()) -> Outcome:
    """One verdict over every address: PASS when each passed; else the first bad one, named,
    with the addresses that were fine."""
    if len(per_address) == 1:
        only = per_address[0][1]
        return only if not warnings else _with(only, tuple(warnings))
    observations = tuple(o for _, outcome in per_address for o in outcome.observations)
    extra = tuple(warnings) + tuple(w for _, o in per_address for w in o.warnings)
    bad = [(a, o) for a, o in per_address if o.status is not Status.PASS]
    if not bad:
        addresses = ", ".join(a for a, _ in per_address)
        first = per_address[0][1]
        return Outcome.passed(
            f"{first.summary}; at every address ({addresses})",
            observations,
            warnings=tuple(dict.fromkeys(extra)),
        )
    fine = [a for a, o in per_address if o.status is Status.PASS]
    address, worst = bad[0]
    summary = f"{address}: {worst.summary}"
    if len(bad) > 1:
        summary += f" (also bad: {', '.join(a for a, _ in bad[1:])})"
    summary += f"; fine: {', '.join(fine)}" if fine else "; no address was fine"
    return Outcome(
        worst.status,
        summary,
        observations,
        hint=worst.hint,
        terminal=all(o.terminal for _, o in bad),
        warnings=tuple(dict.fromkeys(extra)),
    )


def _with(outcome: Outcome, warnings: tuple[str, ...]) -> Outcome:
    return Outcome(
        outcome.status,
        outcome.summary,
        outcome.observations,
        hint=outcome.hint,
        terminal=outcome.terminal,
        warnings=tuple(dict.fromkeys(outcome.warnings + warnings)),
    )
