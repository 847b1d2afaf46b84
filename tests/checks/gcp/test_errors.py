"""API errors of every GCP family become ERROR (or FAIL for 404) within the check's timeout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from infra_verify.check import Check
from infra_verify.checks.gcp.certificate import GcpManagedCertificate
from infra_verify.checks.gcp.cloud_run import GcpCloudRunService
from infra_verify.checks.gcp.cloud_sql import GcpCloudSqlInstance
from infra_verify.checks.gcp.dns_record import GcpDnsRecord
from infra_verify.checks.gcp.load_balancer import GcpLoadBalancer
from infra_verify.checks.gcp.sql_path import GcpCloudSqlPath
from infra_verify.checks.gcp.vpc_connector import GcpVpcConnector
from infra_verify.context import CheckContext
from infra_verify.gate import Gate
from infra_verify.model import Status
from infra_verify.testing.fake_gcp import FOREVER
from tests.checks.gcp.world import API, BACKEND, COMPUTE, CONNECTOR, LB_IP, PROJECT, GcpWorld

FAMILIES: dict[str, tuple[Check, str, str]] = {
    "compute": (
        GcpManagedCertificate(name="netra-staging-cert", domains=(API,)),
        f"{COMPUTE}/global/sslCertificates",
        "roles/compute.viewer",
    ),
    "run": (
        GcpCloudRunService(service="netra-backend-staging"),
        f"v2/projects/{PROJECT}/locations/us-central1/services",
        "roles/run.viewer",
    ),
    "vpcaccess": (
        GcpVpcConnector(connector="netra-staging-connector"),
        f"v1/projects/{PROJECT}/locations/us-central1/connectors",
        "roles/vpcaccess.viewer",
    ),
    "dns": (
        GcpDnsRecord(zone="staging-zone", name=API, rrdatas=(LB_IP,), check_delegation=False),
        f"dns/v1/projects/{PROJECT}/managedZones",
        "roles/dns.reader",
    ),
    "sqladmin": (
        GcpCloudSqlInstance(instance="netra-staging-db"),
        f"v1/projects/{PROJECT}/instances",
        "roles/cloudsql.viewer",
    ),
    "certificatemanager": (
        GcpManagedCertificate(
            name="netra-staging-cm-cert", domains=(API,), certificate_manager=True
        ),
        f"v1/projects/{PROJECT}/locations/global/certificates",
        "roles/certificatemanager.viewer",
    ),
}
"""One representative check per API family, the REST prefix it reads, and its read-only role."""

family = pytest.mark.parametrize("api", sorted(FAMILIES))


@family
def test_each_family_passes_unfaulted(gcp: GcpWorld, api: str) -> None:
    """The representative checks pass against the healthy fake (the baseline of the faults)."""
    check, prefix, _ = FAMILIES[api]
    assert gcp.run(check).status is Status.PASS
    assert gcp.requests_to(prefix) >= 1


@family
def test_persistent_403_is_an_error_naming_the_read_only_role(gcp: GcpWorld, api: str) -> None:
    """A 403 that persists is ERROR naming the missing read-only role, after one retry."""
    check, prefix, role = FAMILIES[api]
    gcp.fake.inject(prefix, statuses=[403], times=FOREVER)
    result = gcp.run(check)
    assert result.status is Status.ERROR, result.summary
    assert "permission denied" in result.summary
    assert f"grant the caller the read-only role {role}" in result.summary
    assert gcp.requests_to(prefix) == 2


@family
def test_a_short_lived_403_is_retried(gcp: GcpWorld, api: str) -> None:
    """One 403 (IAM propagation) followed by success passes."""
    check, prefix, _ = FAMILIES[api]
    gcp.fake.inject(prefix, statuses=[403])
    assert gcp.run(check).status is Status.PASS


@family
def test_401_is_an_error_telling_how_to_log_in(gcp: GcpWorld, api: str) -> None:
    """A 401 is ERROR telling the user to log in with application-default credentials."""
    check, prefix, _ = FAMILIES[api]
    gcp.fake.inject(prefix, statuses=[401], times=FOREVER)
    result = gcp.run(check)
    assert result.status is Status.ERROR
    assert "gcloud auth application-default login" in result.summary


@family
def test_500_past_retries_is_an_error_within_the_timeout(gcp: GcpWorld, api: str) -> None:
    """A 500 that persists is retried, then ERROR naming HTTP 500, within the check's timeout."""
    check, prefix, _ = FAMILIES[api]
    gcp.fake.inject(prefix, statuses=[500], times=FOREVER)
    timeout = 1.0
    result = gcp.run(check, timeout=timeout)
    assert result.status is Status.ERROR, result.summary
    assert "HTTP 500" in result.summary and "gave up after" in result.summary
    assert gcp.requests_to(prefix) > 2


@family
def test_429_storm_then_recovery_passes(gcp: GcpWorld, api: str) -> None:
    """Two 429s in a row, then normal answers: the retries ride it out and the check passes."""
    check, prefix, _ = FAMILIES[api]
    gcp.fake.inject(prefix, statuses=[429, 429])
    result = gcp.run(check, timeout=3)
    assert result.status is Status.PASS, result.summary
    assert gcp.requests_to(prefix) >= 3


@family
def test_slow_api_past_the_timeout_is_an_error(gcp: GcpWorld, api: str) -> None:
    """An API slower than the check's timeout is ERROR (timed out) without waiting for it: the
    answer is due in 300 s, past pytest-timeout's 120 s guard."""
    check, prefix, _ = FAMILIES[api]
    gcp.fake.inject(prefix, delay=300, times=FOREVER)
    result = gcp.run(check, timeout=1.0)
    assert result.status is Status.ERROR, result.summary
    assert "timed out" in result.summary or "timeout" in result.summary


@family
def test_malformed_json_is_an_error(gcp: GcpWorld, api: str) -> None:
    """A truncated JSON body is ERROR ("malformed response"), not a crash or a FAIL."""
    check, prefix, _ = FAMILIES[api]
    gcp.fake.inject(prefix, malformed=True, times=FOREVER)
    result = gcp.run(check)
    assert result.status is Status.ERROR, result.summary
    assert "malformed response" in result.summary
    assert "internal error" not in result.summary


def test_error_mid_chain_is_an_error_not_a_broken_link(gcp: GcpWorld) -> None:
    """A 403 on the backend service is ERROR: the chain could not be read, it is not broken."""
    gcp.fake.inject(BACKEND, statuses=[403], times=FOREVER)
    check = GcpLoadBalancer(
        forwarding_rule="netra-staging-https",
        hosts=(API,),
        cloud_run_service="netra-backend-staging",
    )
    result = gcp.run(check)
    assert result.status is Status.ERROR
    assert "backend service netra-staging-backend" in result.summary
    assert "roles/compute.viewer" in result.summary


def test_connector_read_error_on_the_sql_path_is_an_error(gcp: GcpWorld) -> None:
    """A 403 reading the connector is ERROR on the SQL path, not a MISSING connector."""
    gcp.fake.inject(CONNECTOR, statuses=[403], times=FOREVER)
    result = gcp.run(GcpCloudSqlPath(service="netra-backend-staging", instance="netra-staging-db"))
    assert result.status is Status.ERROR
    assert "roles/vpcaccess.viewer" in result.summary


def test_unreachable_api_is_an_error(gcp: GcpWorld) -> None:
    """An endpoint where nothing listens is ERROR (could not be read), not a hang."""
    context = gcp.context(timeout=1.0)
    gcp.fake.stop()
    check, _, _ = FAMILIES["run"]
    result = Gate([check], context=context).run().results[0]
    assert result.status is Status.ERROR
    assert "could not be read" in result.summary


def test_no_project_is_an_error_with_hint(gcp: GcpWorld) -> None:
    """No GCP project configured is ERROR telling where to set one; nothing is requested."""
    check, _, _ = FAMILIES["run"]
    result = gcp.run(check, gcp=gcp.settings(project=""))
    assert result.status is Status.ERROR
    assert result.summary == "no GCP project is configured"
    assert result.hint is not None and "gcp.project" in result.hint
    assert gcp.fake.requests == []


def test_no_gcp_settings_is_an_error_with_hint() -> None:
    """A GCP check in a context without GCP settings is ERROR asking for a gcp: section."""
    check, _, _ = FAMILIES["sqladmin"]
    result = Gate([check], context=CheckContext(environment="test", timeout=1)).run().results[0]
    assert result.status is Status.ERROR
    assert "needs Google Cloud settings" in result.summary
    assert result.hint is not None and "gcp:" in result.hint


POLICY = """\
environment: test
defaults: {timeout: 5s}
gcp:
  project: netra-staging
  credentials: adc
checks:
  run-service:
    kind: gcp.cloud_run_service
    service: netra-backend-staging
"""


def test_missing_credentials_is_an_error_telling_how_to_log_in(tmp_path: Path) -> None:
    """Without ADC, the CLI exits 1 with ERROR saying to run gcloud auth application-default login."""
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY, encoding="utf-8")
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "CLOUDSDK_CONFIG": str(tmp_path / "gcloud"),
        "GOOGLE_APPLICATION_CREDENTIALS": "/nonexistent",
        "NO_GCE_CHECK": "true",
        "GCE_METADATA_HOST": "127.0.0.1:1",
        "GCE_METADATA_IP": "127.0.0.1:1",
    }
    proc = subprocess.run(  # the timeout is a hang guard, not a measurement
        [sys.executable, "-m", "infra_verify", "--policy", str(policy), "--format", "json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=tmp_path,
    )
    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)
    (result,) = report["results"]
    assert result["status"] == "error"
    assert "no Application Default Credentials" in result["summary"]
    assert "gcloud auth application-default login" in result["summary"]
    assert report["root_causes"] == ["run-service"]


def error_info(reason: str, **metadata: str) -> dict[str, object]:
    """One google.rpc.ErrorInfo detail of a real API error body."""
    return {
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        "reason": reason,
        "domain": "googleapis.com",
        "metadata": metadata,
    }


@family
def test_disabled_api_is_an_error_with_the_enable_command(gcp: GcpWorld, api: str) -> None:
    """403 SERVICE_DISABLED is ERROR "the X API is not enabled in project P" with the command."""
    check, prefix, _ = FAMILIES[api]
    service = f"{api}.googleapis.com"
    gcp.fake.inject(
        prefix,
        statuses=[403],
        times=FOREVER,
        message=f"{api} API has not been used in project 123456 before or it is disabled.",
        details=[error_info("SERVICE_DISABLED", service=service, consumer=f"projects/{PROJECT}")],
    )
    result = gcp.run(check)
    assert result.status is Status.ERROR, result.summary
    assert f"is not enabled in project {PROJECT}" in result.summary
    assert result.hint == f"gcloud services enable {service} --project={PROJECT}"


@family
def test_insufficient_scope_is_an_error_naming_the_scope(gcp: GcpWorld, api: str) -> None:
    """403 ACCESS_TOKEN_SCOPE_INSUFFICIENT is ERROR naming the cloud-platform scope, not a role."""
    check, prefix, _ = FAMILIES[api]
    gcp.fake.inject(
        prefix,
        statuses=[403],
        times=FOREVER,
        message="Request had insufficient authentication scopes.",
        details=[error_info("ACCESS_TOKEN_SCOPE_INSUFFICIENT")],
    )
    result = gcp.run(check)
    assert result.status is Status.ERROR, result.summary
    assert "https://www.googleapis.com/auth/cloud-platform" in result.summary
    assert "grant the caller" not in result.summary
    assert gcp.requests_to(prefix) == 1


def test_unknown_project_is_an_error_naming_it_not_a_missing_resource(gcp: GcpWorld) -> None:
    """A check in a project the API calls CONSUMER_INVALID is ERROR naming it, not FAIL 404."""
    gcp.fake.inject(
        "v2/projects/netra-typo",
        statuses=[403],
        times=FOREVER,
        message="Project 'netra-typo' not found or permission denied.",
        details=[error_info("CONSUMER_INVALID", consumer="projects/netra-typo")],
    )
    result = gcp.run(GcpCloudRunService(service="netra-backend-staging", project="netra-typo"))
    assert result.status is Status.ERROR, result.summary
    assert "project netra-typo does not exist or cannot be used" in result.summary
    assert "does not exist in project" not in result.summary


def test_a_404_keeps_the_server_message_in_the_evidence(gcp: GcpWorld) -> None:
    """A resource that does not exist FAILs with the server's 404 message as an observation."""
    said = "Resource 'netra-ghost' of kind 'SERVICE' in region 'us-central1' does not exist."
    gcp.fake.inject(
        f"v2/projects/{PROJECT}/locations/us-central1/services/netra-ghost",
        statuses=[404],
        times=FOREVER,
        message=said,
    )
    result = gcp.run(GcpCloudRunService(service="netra-ghost"))
    assert result.status is Status.FAIL
    assert "does not exist in project netra-staging" in result.summary
    (evidence,) = result.observations
    assert (evidence.property, evidence.ok) == ("exists", False)
    assert evidence.actual is not None and evidence.actual.endswith(said)
