"""The exception tree of infra_verify.

Every third-party error (dnspython, ssl, socket, httpx, psycopg, google-api-core) is mapped at
the boundary to one of these, chained with ``from exc``, never swallowed::

    InfraVerifyError
     ├── UsageError              bad input or usage: the CLI exits 2
     │    ├── PolicyError        a policy that cannot be loaded; names file, line and key
     │    └── CheckDefinitionError  a check built in code with a wrong key or value
     ├── ProbeError              a probe could not decide: the check's status is ERROR
     │    └── ProbeTimeout       the probe ran out of time
     ├── ProbeFailed             a probe saw the infrastructure is wrong: the status is FAIL
     └── DeploymentIncomplete    raised by GateRun.raise_for_failure(); carries the run
                                 (defined in infra_verify.gate, beside the GateRun it carries)
"""

from __future__ import annotations

_ONE_LINE = {ord(c): repr(c)[1:-1] for c in "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"}


class InfraVerifyError(Exception):
    """Base class of every error infra_verify raises on purpose."""


class UsageError(InfraVerifyError):
    """Bad input or usage; the message says what to do next."""


class PolicyError(UsageError):
    """A policy file that cannot be loaded: names the file, the line and the key."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        key: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.message = message
        self.file = file
        self.line = line
        self.key = key
        self.hint = hint
        super().__init__(self.render())

    def render(self) -> str:
        """Return the one-line form: ``file:line: key: message (hint)``."""
        where = self.file or "<policy>"
        if self.line is not None:
            where += f":{self.line}"
        text = f"{where}: "
        if self.key:
            text += f"{self.key}: "
        text += self.message
        if self.hint:
            text += f" ({self.hint})"
        return text.translate(_ONE_LINE)  # keys and values from the file may hold line breaks


class CheckDefinitionError(UsageError, ValueError):
    """A check built in code with an unknown key, a missing key or a wrong value.

    Also a ``ValueError``, as pydantic's ``ValidationError`` it replaces was.
    """

    def __init__(self, message: str, *, key: str | None = None, hint: str | None = None) -> None:
        self.message = message
        self.key = key
        self.hint = hint
        super().__init__(message + (f" ({hint})" if hint else ""))


class ProbeError(InfraVerifyError):
    """A probe could not reach a verdict (network error, API error, missing credentials)."""

    def __init__(self, message: str, *, hint: str | None = None, cause: str | None = None) -> None:
        self.message = message
        self.hint = hint
        self.cause = cause
        """What other checks may share (``the DNS server 10.0.0.53:53 did not answer``)."""
        super().__init__(message)


class ProbeTimeout(ProbeError):
    """A probe ran out of time."""


class ProbeFailed(InfraVerifyError):
    """A probe saw, mid-way, that the infrastructure is wrong (e.g. a server not speaking HTTP)."""

    def __init__(self, message: str, *, hint: str | None = None, terminal: bool = False) -> None:
        self.message = message
        self.hint = hint
        self.terminal = terminal
        super().__init__(message)
