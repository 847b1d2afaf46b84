"""CheckContext: the run's settings (defaults, guards, environment) and its shared resources.

Resources (the blocking-call pool, cached TLS contexts, Google Cloud clients) are built lazily
and released by ``close()``.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

from infra_verify.redact import Redactor

if TYPE_CHECKING:
    from infra_verify.gcp.clients import GcpClients, GcpSettings

T = TypeVar("T")


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
