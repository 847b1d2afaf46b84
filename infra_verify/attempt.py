"""One attempt at one check: guards, a time bound, and every exception mapped to a verdict.

The gate and the combinators both run checks through :func:`attempt`, so a member of
``all_of`` is judged exactly as the gate would judge it alone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from infra_verify.check import Check
from infra_verify.context import CheckContext
from infra_verify.durations import format_duration
from infra_verify.errors import ProbeError, ProbeFailed
from infra_verify.guard import check_guards
from infra_verify.lazy import lazy_module
from infra_verify.model import Outcome

if TYPE_CHECKING:
    import asyncio
else:
    asyncio = lazy_module("asyncio", rebind=True)  # imported by a run, not by --list


async def attempt(check: Check, ctx: CheckContext, *, grace: float = 1.0) -> Outcome:
    """Probe and judge once; never raises for the check's own failures (the gate never lies).

    The bound is the check's timeout plus a little grace (at most ``grace`` seconds), so that
    the probe's specific message ("TLS handshake got no answer within 5s") wins over the
    generic one. A caller nested in another bound (a combinator) passes a smaller grace.
    """
    guarded = check_guards(check, ctx)
    if guarded is not None:
        return guarded
    timeout = check.effective_timeout(ctx)
    try:
        async with asyncio.timeout(timeout + min(grace, grace * (0.1 * timeout + 0.2))):
            return await check.run(ctx)
    except TimeoutError:
        return Outcome.error(
            f"no verdict within the {format_duration(timeout)} timeout",
            hint="the target did not answer in time; raise 'timeout:' only if it is known to be slow",
        )
    except ProbeFailed as exc:
        return Outcome.failed(exc.message, hint=exc.hint, terminal=exc.terminal)
    except ProbeError as exc:
        return Outcome.error(exc.message, hint=exc.hint, cause=exc.cause)
    except Exception as exc:  # an unexpected crash is an ERROR, never a pass
        return Outcome.error(
            f"internal error in the {check.kind} check: {type(exc).__name__}: {exc}",
            hint="this is a bug in infra_verify; please report it with this message",
        )
