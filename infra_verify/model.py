"""Core data types: Status, Observation, Outcome, Result, CheckContext and the Check base class.

A check *probes* (network I/O, time-bounded) and *judges* (compares what it saw with what the
policy expects). Judging works on plain data, so it can be unit-tested without a network.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from infra_verify.durations import Duration
from infra_verify.redact import Redactor

if TYPE_CHECKING:
    from infra_verify.gcp.clients import GcpClients, GcpSettings


T = TypeVar("T")


class Status(StrEnum):
    """The verdict of one check. Only PASS passes the gate."""

    PASS = "pass"
    FAIL = "fail"
    ERROR = "error"
    BLOCKED = "blocked"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class Observation:
    """One property a check looked at: what was expected, what was seen, and where."""

    property: str
    expected: str | None
    actual: str | None
    ok: bool
    where: str | None = None


@dataclass(frozen=True)
class Outcome:
    """What a check concluded about the world; the gate turns it into a Result."""

    status: Status
    summary: str
    observations: tuple[Observation, ...] = ()
    hint: str | None = None
    terminal: bool = False
    warnings: tuple[str, ...] = ()

    @classmethod
    def passed(cls, summary: str, observations: tuple[Observation, ...] = (), **kw: Any) -> Outcome:
        """Build a PASS outcome."""
        return cls(Status.PASS, summary, observations, **kw)

    @classmethod
    def failed(cls, summary: str, observations: tuple[Observation, ...] = (), **kw: Any) -> Outcome:
        """Build a FAIL outcome."""
        return cls(Status.FAIL, summary, observations, **kw)

    @classmethod
    def error(cls, summary: str, observations: tuple[Observation, ...] = (), **kw: Any) -> Outcome:
        """Build an ERROR outcome (the check could not decide)."""
        return cls(Status.ERROR, summary, observations, **kw)

    @classmethod
    def judge(
        cls,
        observations: list[Observation] | tuple[Observation, ...],
        *,
        ok: str,
        hint: str | None = None,
        **kw: Any,
    ) -> Outcome:
        """PASS with ``ok`` when every observation holds, else FAIL naming the first that does not."""
        obs = tuple(observations)
        bad = [o for o in obs if not o.ok]
        if not bad:
            return cls(Status.PASS, ok, obs, **kw)
        first = bad[0]
        summary = f"{first.property}: expected {first.expected}, got {first.actual}"
        if first.where:
            summary += f" (at {first.where})"
        if len(bad) > 1:
            summary += f" (+{len(bad) - 1} more)"
        return cls(Status.FAIL, summary, obs, hint=hint, **kw)


@dataclass(frozen=True)
class Result:
    """A check's final, reportable verdict with evidence and timings."""

    id: str
    kind: str
    status: Status
    summary: str
    observations: tuple[Observation, ...] = ()
    hint: str | None = None
    duration: float = 0.0
    attempts: int = 0
    terminal: bool = False
    after: tuple[str, ...] = ()
    blocked_by: tuple[str, ...] = ()
    explained_by: tuple[str, ...] = ()
    converged_after: float | None = None
    warnings: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True when the check passed."""
        return self.status is Status.PASS

    def evolve(self, **changes: Any) -> Result:
        """Return a copy with some fields changed."""
        return replace(self, **changes)


@dataclass
class CheckContext:
    """What a running check may use: defaults, environment, guards, shared clients."""

    environment: str = "local"
    timeout: float = 10.0
    resolvers: tuple[str, ...] = ()
    ca_bundle: str | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    allow_loopback: bool = False
    allow_metadata: bool = False
    gcp: GcpSettings | None = None
    redactor: Redactor = field(default_factory=Redactor)
    _ssl: dict[tuple[str | None, bool, bool], ssl.SSLContext] = field(
        default_factory=dict, repr=False
    )
    _gcp_clients: GcpClients | None = field(default=None, repr=False)
    _executor: ThreadPoolExecutor | None = field(default=None, repr=False)
    blocking_workers: int = 16

    async def run_blocking(self, fn: Callable[[], T]) -> T:
        """Run a blocking call (the google-cloud clients are synchronous) in a bounded pool."""
        if self._executor is None:
            self._executor = ThreadPoolExecutor(
                max_workers=self.blocking_workers, thread_name_prefix="infra-verify-blocking"
            )
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn)

    def close(self) -> None:
        """Release threads and HTTP sessions; the context can be used again afterwards."""
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)
        clients, self._gcp_clients = self._gcp_clients, None
        if clients is not None:
            clients.close()

    def ssl_context(
        self, ca_bundle: str | None = None, *, verify: bool = True, check_hostname: bool = True
    ) -> ssl.SSLContext:
        """Return a cached client SSL context (contexts are reusable; connections are not)."""
        key = (ca_bundle or self.ca_bundle, verify, check_hostname and verify)
        ctx = self._ssl.get(key)
        if ctx is None:
            ctx = ssl.create_default_context(cafile=key[0]) if key[0] else _default_context()
            ctx.check_hostname = key[2]
            if not verify:
                ctx.verify_mode = ssl.CERT_NONE
            self._ssl[key] = ctx
        return ctx

    def gcp_clients(self) -> GcpClients:
        """Return the shared, lazily built Google Cloud clients."""
        if self._gcp_clients is None:
            from infra_verify.errors import ProbeError
            from infra_verify.gcp.clients import GcpClients

            if self.gcp is None:
                raise ProbeError(
                    "this check needs Google Cloud settings",
                    hint="add a 'gcp:' section with 'project:' to the policy, or pass --project",
                )
            self._gcp_clients = GcpClients(self.gcp)
        return self._gcp_clients


def _default_context() -> ssl.SSLContext:
    return ssl.create_default_context()


class Check(BaseModel):
    """Base of every check kind: an immutable description of one fact to verify."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    kind: ClassVar[str] = ""
    family: ClassVar[str] = "live"

    id: str = Field(default="", description="stable id; the policy key")
    after: tuple[str, ...] = Field(default=(), description="ids of checks this one depends on")
    timeout: Duration | None = Field(
        default=None, description="per-probe timeout (defaults.timeout)"
    )
    poll: Duration | None = Field(default=None, description="first poll interval in --wait mode")
    poll_max: Duration | None = Field(
        default=None, description="longest poll interval in --wait mode"
    )
    description: str | None = Field(default=None, description="free text shown in reports")

    positional: ClassVar[str | None] = None
    """The field a positional argument fills (``Dns("api.example.com")``); None: the kind's first own field."""

    def __init__(self, /, *args: Any, **data: Any) -> None:
        """Build a check from keyword arguments, plus at most one positional (its subject)."""
        if args:
            if len(args) > 1:
                raise TypeError(f"{type(self).__name__}() takes at most 1 positional argument")
            name = type(self).positional_field()
            if name is None:
                raise TypeError(f"{type(self).__name__}() takes keyword arguments only")
            info = type(self).model_fields[name]
            if name in data or (info.alias and info.alias in data):
                raise TypeError(
                    f"{type(self).__name__}() got two values for '{info.alias or name}'"
                )
            data[info.alias or name] = args[0]
        super().__init__(**data)

    @classmethod
    def positional_field(cls) -> str | None:
        """The field name a positional argument fills: ``positional``, else the first own field."""
        if cls.positional is not None:
            return cls.positional
        inherited: set[str] = set()
        for base in cls.__mro__[1:]:
            if isinstance(base, type) and issubclass(base, Check) and not base.kind:
                inherited.update(base.model_fields)
        return next((n for n in cls.model_fields if n not in inherited), None)

    @field_validator("after", mode="before")
    @classmethod
    def _after_ids(cls, value: Any) -> Any:
        """Accept check objects as well as ids (and one alone), keeping only ids."""
        if isinstance(value, str | Check):
            value = (value,)
        if isinstance(value, list | tuple):
            return tuple(v.id if isinstance(v, Check) else v for v in value)
        return value

    def model_post_init(self, context: Any, /) -> None:
        """Give checks built in code a readable default id."""
        if not self.id:
            object.__setattr__(self, "id", f"{self.kind}:{self.subject()}")

    def subject(self) -> str:
        """The thing this check is about, e.g. a hostname or resource name."""
        return "check"

    def host(self) -> str | None:
        """The DNS name this check reaches, used to infer dependencies."""
        return None

    def infer_edges(self, others: Sequence[Check]) -> Iterable[tuple[str, str]]:
        """Dependencies this check implies: ``(other_id, "hard" | "soft")`` pairs."""
        return ()

    def targets(self) -> tuple[str, ...]:
        """Hosts and addresses this check contacts or expects (for the loopback guard)."""
        return ()

    async def run(self, ctx: CheckContext) -> Outcome:
        """Probe the world and judge what was seen."""
        raise NotImplementedError

    def effective_timeout(self, ctx: CheckContext) -> float:
        """This check's timeout, falling back to the policy default."""
        return self.timeout if self.timeout is not None else ctx.timeout


def elapsed_ms(start: float) -> float:
    """Milliseconds since ``start`` (a time.monotonic() value)."""
    return (time.monotonic() - start) * 1000.0
