"""The Check base: fields are policy keys; a kind probes the world, then judges what it saw.

Every check kind follows one template::

    observed = await check.probe(ctx)     # I/O only: returns a plain, frozen dataclass
    outcome = check.judge(observed)       # pure: compares the policy's fields with observed
    run(ctx) = judge(await probe(ctx))

so every verdict can be tested on plain data, without a server.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from infra_verify.budget import Budget
from infra_verify.context import CheckContext
from infra_verify.durations import Duration
from infra_verify.errors import CheckDefinitionError
from infra_verify.model import Outcome
from infra_verify.validation import first_problem


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
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise definition_error(type(self), exc) from None

    # Like RootModel's: validation (``model_validate``, the policy loader) bypasses this
    # __init__ and keeps pydantic's ValidationError, which the loader maps to file:line.
    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined]

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

    async def probe(self, ctx: CheckContext) -> Any:
        """Look at the world (all I/O, time-bounded) and return what was seen as a plain dataclass.

        Facts about the world (a refused connection, a missing resource, an NXDOMAIN) belong in
        the returned value, for :meth:`judge` to decide on. Raise ``ProbeError`` only when the
        probe could not look (no answer, no credentials): that makes the verdict ERROR.
        """
        raise NotImplementedError(f"{type(self).__name__} must implement probe() and judge()")

    def judge(self, observed: Any) -> Outcome:
        """Decide PASS or FAIL from what :meth:`probe` returned; pure, no I/O, no clock."""
        raise NotImplementedError(f"{type(self).__name__} must implement probe() and judge()")

    async def run(self, ctx: CheckContext) -> Outcome:
        """Probe, then judge: ``judge(await probe(ctx))``. Built-in kinds never override it."""
        return self.judge(await self.probe(ctx))

    def effective_timeout(self, ctx: CheckContext) -> float:
        """This check's timeout, falling back to the policy default."""
        return self.timeout if self.timeout is not None else ctx.timeout

    def budget(self, ctx: CheckContext) -> Budget:
        """A fresh time budget for one probe of this check (see :mod:`infra_verify.budget`)."""
        return Budget.for_probe(self.effective_timeout(ctx))


def definition_error(cls: type[BaseModel], exc: ValidationError) -> CheckDefinitionError:
    """``Dns(): unknown key 'nmae' (did you mean 'name'?)``: a ValidationError, readably."""
    problem = first_problem(exc, cls)
    key = ".".join(str(p) for p in problem.loc) or None
    where = f"{cls.__name__}()" + (f": {key}" if key and problem.unknown_key is None else "")
    return CheckDefinitionError(f"{where}: {problem.message}", key=key, hint=problem.hint)


def elapsed_ms(start: float) -> float:
    """Milliseconds since ``start`` (a time.monotonic() value)."""
    return (time.monotonic() - start) * 1000.0
