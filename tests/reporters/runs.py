"""Tests of the report formats, plus the plain-data runs they share.

``mixed_run()`` has one check of every status and an explained failure; ``passing_run()`` only
passes. Both are built from Result objects directly, no gate and no network.
"""

from __future__ import annotations

from pathlib import Path

from infra_verify.gate import GateRun
from infra_verify.model import Observation, Result, Status

SCHEMAS = Path(__file__).parent / "schemas"

CERT_HINT = "gcloud compute ssl-certificates describe netra-staging-cert --global"
SQL_HINT = "check that the VPC connector reaches the Cloud SQL private IP"


def mixed_run() -> GateRun:
    """A failed run: PASS, a FAIL root cause, an ERROR root cause, BLOCKED, explained, SKIPPED."""
    return GateRun(
        results=(
            Result(
                "dns-api",
                "dns",
                Status.PASS,
                "api.staging.example resolves to 34.54.41.44",
                observations=(Observation("A", "34.54.41.44", "34.54.41.44", True, "8.8.8.8"),),
                duration=0.012,
                attempts=1,
                converged_after=0.02,
            ),
            Result(
                "cert",
                "tls",
                Status.FAIL,
                "certificate SAN: expected api.staging.example, got *.other|example <none>",
                observations=(
                    Observation("issuer", "Google Trust Services", "Google Trust Services", True),
                    Observation(
                        "san", "api.staging.example", "*.other.example", False, "34.54.41.44:443"
                    ),
                ),
                hint=CERT_HINT,
                duration=0.25,
                attempts=3,
                after=("dns-api",),
                terminal=True,
            ),
            Result(
                "sql",
                "postgres",
                Status.ERROR,
                "no verdict within the 2s timeout",
                hint=SQL_HINT,
                duration=2.0,
                attempts=1,
            ),
            Result(
                "health",
                "http",
                Status.BLOCKED,
                "blocked by cert",
                after=("cert",),
                blocked_by=("cert",),
            ),
            Result(
                "ws",
                "websocket",
                Status.FAIL,
                "TLS handshake failed: certificate verify failed",
                observations=(Observation("handshake", "ok", "certificate verify failed", False),),
                hint="fix the certificate first",
                duration=0.1,
                attempts=1,
                explained_by=("cert",),
                warnings=("server sent no Sec-WebSocket-Protocol",),
            ),
            Result("env", "environment", Status.SKIPPED, "deselected by --only/--skip"),
        ),
        environment="staging",
        duration=2.5,
        started_at=1_764_000_000.0,
    )


def passing_run() -> GateRun:
    """A run where the two checks pass."""
    return GateRun(
        results=(
            Result(
                "dns-api",
                "dns",
                Status.PASS,
                "api resolves",
                observations=(Observation("A", "10.0.0.1", "10.0.0.1", True),),
                duration=0.01,
                attempts=1,
                converged_after=0.01,
            ),
            Result(
                "health",
                "http",
                Status.PASS,
                "200 OK",
                duration=0.02,
                attempts=1,
                after=("dns-api",),
            ),
        ),
        environment="staging",
        duration=0.05,
        started_at=1_764_000_000.0,
    )
