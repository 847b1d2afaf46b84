"""API errors as the real APIs send them (google.rpc.ErrorInfo), through the real client stacks.

Each error body is the JSON Google sends (``error.details[]`` typed
``type.googleapis.com/google.rpc.ErrorInfo``); google-api-core parses it into ``exc.reason``,
``exc.domain`` and ``exc.metadata`` and :func:`infra_verify.gcp.errors.map_error` maps it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from infra_verify.gcp import projects, reads
from infra_verify.gcp.clients import GcpClients, GcpSettings
from infra_verify.gcp.errors import (
    ERROR_INFO_TYPE,
    GcpNotFound,
    GcpPermissionDenied,
    GcpProjectInvalid,
    GcpScopeInsufficient,
    GcpServiceDisabled,
    error_info,
)
from infra_verify.testing.fake_gcp import FOREVER, FakeGcp

P = "netra-staging"
Read = Callable[[GcpClients, float], Any]

FAMILIES: dict[str, tuple[Read, str, str]] = {
    "compute": (
        lambda c, t: reads.get_ssl_certificate(c, "netra-staging-cert", timeout=t),
        f"compute/v1/projects/{P}/global/sslCertificates",
        "compute.googleapis.com",
    ),
    "run": (
        lambda c, t: reads.get_run_service(c, "us-central1", "netra-backend-staging", timeout=t),
        f"v2/projects/{P}/locations/us-central1/services",
        "run.googleapis.com",
    ),
    "vpcaccess": (
        lambda c, t: reads.get_connector(c, "us-central1", "netra-staging-connector", timeout=t),
        f"v1/projects/{P}/locations/us-central1/connectors",
        "vpcaccess.googleapis.com",
    ),
    "sqladmin": (
        lambda c, t: reads.get_sql_instance(c, "netra-staging-db", timeout=t),
        f"v1/projects/{P}/instances",
        "sqladmin.googleapis.com",
    ),
    "dns": (
        lambda c, t: reads.get_managed_zone(c, "staging-zone", timeout=t),
        f"dns/v1/projects/{P}/managedZones",
        "dns.googleapis.com",
    ),
    "certificatemanager": (
        lambda c, t: reads.get_certificate_manager_certificate(
            c, "global", "netra-staging-cm-cert", timeout=t
        ),
        f"v1/projects/{P}/locations/global/certificates",
        "certificatemanager.googleapis.com",
    ),
    "cloudresourcemanager": (
        lambda c, t: projects.get_project_iam_policy(c, P, timeout=t),
        f"v1/projects/{P}:getIamPolicy",
        "cloudresourcemanager.googleapis.com",
    ),
}
family = pytest.mark.parametrize("api", sorted(FAMILIES))


def info(reason: str, **metadata: str) -> dict[str, Any]:
    """One google.rpc.ErrorInfo detail, as the JSON error body carries it."""
    return {
        "@type": ERROR_INFO_TYPE,
        "reason": reason,
        "domain": "googleapis.com",
        "metadata": metadata,
    }


def test_adc_is_requested_with_the_cloud_platform_scope(monkeypatch: pytest.MonkeyPatch) -> None:
    """ADC asks for cloud-platform: compute/run/vpcaccess/sqladmin reads refuse .read-only."""
    asked: list[list[str]] = []

    def default(scopes: list[str] | None = None, **_: Any) -> tuple[object, str]:
        asked.append(list(scopes or []))
        return object(), "adc-project"

    import google.auth

    monkeypatch.setattr(google.auth, "default", default)
    clients = GcpClients(GcpSettings(project="p", credentials="adc"))
    clients.credentials("compute")
    assert asked == [["https://www.googleapis.com/auth/cloud-platform"]]


@family
def test_scope_insufficient_says_which_scope_and_is_not_retried(
    api: str, fake: FakeGcp, clients: GcpClients
) -> None:
    """403 ACCESS_TOKEN_SCOPE_INSUFFICIENT names the scope to request; one request, no retry."""
    read, prefix, service = FAMILIES[api]
    fake.inject(
        prefix,
        statuses=[403],
        times=FOREVER,
        message="Request had insufficient authentication scopes.",
        details=[info("ACCESS_TOKEN_SCOPE_INSUFFICIENT", service=service, method="get")],
    )
    with pytest.raises(GcpScopeInsufficient) as err:
        read(clients, 3.0)
    assert isinstance(err.value, GcpPermissionDenied)
    assert "ACCESS_TOKEN_SCOPE_INSUFFICIENT" in err.value.message
    assert "https://www.googleapis.com/auth/cloud-platform" in err.value.message
    assert "insufficient authentication scopes" in err.value.message
    assert err.value.hint is not None and "IAM roles" in err.value.hint
    assert sum(1 for r in fake.requests if r.path.startswith(prefix)) == 1


@family
def test_service_disabled_names_the_api_and_the_command(
    api: str, fake: FakeGcp, clients: GcpClients
) -> None:
    """403 SERVICE_DISABLED: the API is not enabled in the project, with gcloud services enable."""
    read, prefix, service = FAMILIES[api]
    fake.inject(
        prefix,
        statuses=[403],
        times=FOREVER,
        message=f"{service} has not been used in project {P} before or it is disabled.",
        details=[
            info(
                "SERVICE_DISABLED",
                service=service,
                serviceTitle="The API",
                consumer=f"projects/{P}",
            )
        ],
    )
    with pytest.raises(GcpServiceDisabled) as err:
        read(clients, 3.0)
    assert f"the The API ({service}) is not enabled in project {P}" in err.value.message
    assert err.value.hint == f"gcloud services enable {service} --project={P}"


def test_service_disabled_without_a_consumer_names_the_project_read(
    fake: FakeGcp, clients: GcpClients
) -> None:
    """Without metadata.consumer, the message names the project the read targeted."""
    read, prefix, _ = FAMILIES["run"]
    fake.inject(prefix, statuses=[403], details=[info("SERVICE_DISABLED")], times=FOREVER)
    with pytest.raises(GcpServiceDisabled) as err:
        read(clients, 3.0)
    assert f"is not enabled in project {P}" in err.value.message
    assert err.value.hint == f"gcloud services enable SERVICE --project={P}"


@family
def test_consumer_invalid_is_a_project_error_not_a_missing_resource(
    api: str, fake: FakeGcp, clients: GcpClients
) -> None:
    """403 CONSUMER_INVALID is GcpProjectInvalid naming the project (never a 404 FAIL)."""
    read, prefix, service = FAMILIES[api]
    fake.inject(
        prefix,
        statuses=[403],
        times=FOREVER,
        message=f"Project '{P}' not found or permission denied.",
        details=[info("CONSUMER_INVALID", service=service, consumer=f"projects/{P}")],
    )
    with pytest.raises(GcpProjectInvalid) as err:
        read(clients, 3.0)
    assert not isinstance(err.value, GcpNotFound)
    assert f"project {P} does not exist or cannot be used" in err.value.message
    assert "CONSUMER_INVALID" in err.value.message


def test_a_404_for_the_project_itself_is_a_project_error(
    fake: FakeGcp, clients: GcpClients
) -> None:
    """compute's 404 "The resource 'projects/P' was not found" is about the project: not a FAIL."""
    read, prefix, _ = FAMILIES["compute"]
    fake.inject(
        prefix, statuses=[404], times=FOREVER, message=f"The resource 'projects/{P}' was not found"
    )
    with pytest.raises(GcpProjectInvalid) as err:
        read(clients, 3.0)
    assert f"project {P} does not exist" in err.value.message


@family
def test_a_404_keeps_the_server_message(api: str, fake: FakeGcp, clients: GcpClients) -> None:
    """A 404 for the resource is GcpNotFound carrying the server's words (not the request URL)."""
    read, prefix, _ = FAMILIES[api]
    said = "The resource 'netra-thing' was not found (deleted 2 minutes ago)"
    fake.inject(prefix, statuses=[404], times=FOREVER, message=said)
    with pytest.raises(GcpNotFound) as err:
        read(clients, 3.0)
    assert err.value.message.endswith(f"(HTTP 404): {said}")
    assert "http://" not in err.value.message


def test_error_info_is_read_from_google_api_core_exceptions() -> None:
    """error_info reads exc.reason/domain/metadata, which google-api-core fills from details."""
    from google.api_core import exceptions

    exc = exceptions.from_http_status(  # type: ignore[no-untyped-call]
        403,
        "denied",
        details=[info("SERVICE_DISABLED", service="run.googleapis.com")],
        error_info=info("SERVICE_DISABLED", service="run.googleapis.com"),
    )
    found = error_info(exc)
    assert found is not None
    assert (found.reason, found.domain, dict(found.metadata)) == (
        "SERVICE_DISABLED",
        "googleapis.com",
        {"service": "run.googleapis.com"},
    )
    plain = exceptions.from_http_status(403, "plain")  # type: ignore[no-untyped-call]
    assert error_info(plain) is None
