"""The ``environment`` check: the settings the application will run with are the real ones.

This is the story's "false confidence" failure: tests passed against localhost while staging
was down. Required variables must be present (values are never printed); URL and DSN variables
must not point at localhost or loopback, nor outside the allowed domains; a variable naming
the environment must match. Any violation is a FAIL.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from pydantic import Field

from infra_verify.check import Check
from infra_verify.checks.dsn import hostaddrs_in
from infra_verify.checks.resolve import is_ip, resolve_address
from infra_verify.context import CheckContext
from infra_verify.durations import DurationLike
from infra_verify.errors import ProbeError
from infra_verify.guard import is_local_run, is_loopback, is_real_environment
from infra_verify.model import Observation, Outcome
from infra_verify.redact import is_secret_key

_KV_HOST = re.compile(r"(?:^|\s)host\s*=\s*'?([^\s']+)")


def hosts_in(value: str) -> list[str]:
    """The hosts a URL, SQLAlchemy DSN, libpq key/value string or host[:port] names."""
    value = value.strip()
    if "://" in value:
        netloc = urlsplit(value).netloc.rsplit("@", 1)[-1]
        hosts = []
        for part in netloc.split(","):
            if part.startswith("["):
                hosts.append(part[1:].split("]", 1)[0])
            else:
                hosts.append(part.rsplit(":", 1)[0] if part.count(":") == 1 else part)
        query_host = re.search(r"[?&]host=([^&]+)", value)
        if query_host:
            hosts.append(query_host.group(1))
        return [h for h in hosts + hostaddrs_in(value) if h]
    match = _KV_HOST.search(value)
    if match or hostaddrs_in(value):
        return (match.group(1).split(",") if match else []) + hostaddrs_in(value)
    if value and " " not in value and "/" not in value:
        return [value.rsplit(":", 1)[0] if value.count(":") == 1 else value]
    return []


def read_dotenv(path: Path) -> dict[str, str]:
    """Read KEY=VALUE lines (``export`` prefixes, quotes and comments allowed)."""
    out: dict[str, str] = {}
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ProbeError(
            f"cannot read the dotenv file {path}: {exc.strerror}",
            hint="fix 'dotenv:' or create the file",
        ) from exc
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.removeprefix("export ").partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        else:
            value = value.split(" #", 1)[0].strip()
        out[key.strip()] = value
    return out


@dataclass(frozen=True)
class EnvironmentObserved:
    """What the environment probe read: the named variables, and the run's environment."""

    values: Mapping[str, str] = field(repr=False)
    """The variables the check names that are set (empty values included); never printed."""
    environment: str = "local"
    """The environment the gate runs for (``defaults.environment``), e.g. staging."""
    allow_loopback: bool = False
    """Whether this run allows loopback *settings* (``--allow-loopback-settings``; then loopback
    values only get a note). ``--allow-loopback`` (probe targets) does not."""
    addresses: Mapping[str, str] = field(default_factory=dict)
    """Host name -> the address it resolves to (real environments only): a name that
    /etc/hosts or a resolver maps to 127.0.0.1 is loopback too."""
    environment_named: bool = True
    """False when only the policy file named the environment: a local name lifts nothing then."""
    source: str = ""
    """Where the variables were read: the dotenv file, or the context's ``env_source``."""


class Environment(Check):
    """The application's settings are present and point at the real environment, not localhost."""

    kind = "environment"

    require: tuple[str, ...] = Field(
        default=(), description="variables that must be set and non-empty (values never printed)"
    )
    no_loopback: tuple[str, ...] = Field(
        default=(),
        description="URL/DSN/host variables that must not point at localhost or loopback",
    )
    allowed_domains: tuple[str, ...] = Field(
        default=(),
        description="host patterns the no_loopback variables must match, e.g. '*.internal'",
    )
    equals: dict[str, str] = Field(
        default_factory=dict,
        description="variables that must have exactly this value, e.g. ENVIRONMENT: staging",
    )
    dotenv: str | None = Field(
        default=None,
        description="read the variables from this dotenv file instead of the process environment",
    )

    if TYPE_CHECKING:

        def __init__(
            self,
            require: Sequence[str] = (),
            *,
            no_loopback: Sequence[str] = (),
            allowed_domains: Sequence[str] = (),
            equals: Mapping[str, str] = ...,
            dotenv: str | None = None,
            id: str = "",
            after: Sequence[str | Check] | str | Check = (),
            timeout: DurationLike | None = None,
            poll: DurationLike | None = None,
            poll_max: DurationLike | None = None,
            description: str | None = None,
        ) -> None:
            """Build the check (the subject may be positional)."""

    def subject(self) -> str:
        """The variables' source."""
        return self.dotenv or "process environment"

    async def probe(self, ctx: CheckContext) -> EnvironmentObserved:
        """Read the named variables (from ``dotenv`` or the context) and the run's environment."""
        env = read_dotenv(Path(self.dotenv)) if self.dotenv else dict(ctx.env)
        names = (*self.require, *self.no_loopback, *self.equals)
        for name in names:
            ctx.redactor.add_setting(name, env.get(name))
        return EnvironmentObserved(
            values={name: env[name] for name in names if name in env},
            environment=ctx.environment,
            allow_loopback=ctx.allow_loopback_settings,
            environment_named=ctx.environment_named,
            addresses=await self._resolve(env, ctx),
            source=self.dotenv or ctx.env_source,
        )

    async def _resolve(self, env: Mapping[str, str], ctx: CheckContext) -> dict[str, str]:
        """Where the no_loopback hosts that are names resolve (real environments only).

        A name that does not resolve from here, or whose resolver does not answer, is judged
        by its name alone.
        """
        if is_local_run(ctx):
            return {}
        names = {
            h
            for var in self.no_loopback
            for h in hosts_in(env.get(var, ""))
            if not is_ip(h) and not is_loopback(h) and not h.startswith("/")
        }
        budget, out = self.budget(ctx), {}
        for i, host in enumerate(sorted(names)):
            try:
                found = await resolve_address(host, ctx, budget.part(1 / (len(names) - i)))
            except ProbeError:
                continue
            if found.address:
                out[host] = found.address
        return out

    def judge(self, observed: EnvironmentObserved) -> Outcome:
        """Presence, loopback, allowed domains and exact values, each as an observation."""
        env = observed.values
        where = observed.source or self.subject()
        local = observed.environment_named and not is_real_environment(observed.environment)
        strict = not (local or observed.allow_loopback)
        obs: list[Observation] = []
        for name in self.require:
            present = bool(env.get(name))
            obs.append(
                Observation(
                    f"{name} set", "set", "set" if present else "missing or empty", present, where
                )
            )
        for name in self.no_loopback:
            value = env.get(name)
            if not value:
                obs.append(
                    Observation(f"{name} host", "a real host", "missing or empty", False, where)
                )
                continue
            for host in hosts_in(value) or ["(no host)"]:
                address = observed.addresses.get(host)
                if is_loopback(host) or (address is not None and is_loopback(address)):
                    note = "" if strict else " (allowed for this run)"
                    seen = host if address is None else f"{host} (resolves to {address})"
                    obs.append(
                        Observation(
                            f"{name} host", "not localhost/loopback", seen + note, not strict, where
                        )
                    )
                elif self.allowed_domains:
                    ok = any(fnmatch.fnmatch(host.lower(), p.lower()) for p in self.allowed_domains)
                    obs.append(
                        Observation(
                            f"{name} host", " or ".join(self.allowed_domains), host, ok, where
                        )
                    )
                else:
                    obs.append(
                        Observation(f"{name} host", "not localhost/loopback", host, True, where)
                    )
        for name, want in self.equals.items():
            got = env.get(name)
            ok = got == want
            shown = got if got is not None else "(unset)"
            if is_secret_key(name):  # a secret's value is never printed, expected or actual
                want = "the expected value"
                shown = (
                    "(unset)" if got is None else ("the expected value" if ok else "another value")
                )
            obs.append(Observation(name, want, shown, ok, where))
        hint = (
            "the application would run against the wrong backend: set these variables from the "
            f"{observed.environment} secrets (e.g. Secret Manager), not a developer .env"
        )
        return Outcome.judge(
            obs, ok=f"{len(obs)} setting(s) fit the '{observed.environment}' environment", hint=hint
        )
