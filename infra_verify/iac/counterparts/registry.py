"""Which check kinds have a plan counterpart, and the module that judges each.

Adding a counterpart: write ``iac/counterparts/<kind>.py`` with ``expect(check: <Kind>, ctx)``,
then add one line to :data:`COUNTERPARTS`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from infra_verify.check import Check
from infra_verify.checks.dns import Dns
from infra_verify.checks.gcp.certificate import GcpManagedCertificate
from infra_verify.checks.gcp.cloud_run import GcpCloudRunService
from infra_verify.checks.gcp.cloud_sql import GcpCloudSqlInstance
from infra_verify.checks.gcp.dns_record import GcpDnsRecord
from infra_verify.checks.gcp.load_balancer import GcpLoadBalancer
from infra_verify.checks.gcp.sql_path import GcpCloudSqlPath
from infra_verify.checks.gcp.vpc_connector import GcpVpcConnector
from infra_verify.iac.counterparts import (
    dns,
    gcp_cloud_run_service,
    gcp_cloud_sql_instance,
    gcp_cloud_sql_path,
    gcp_dns_record,
    gcp_load_balancer,
    gcp_managed_certificate,
    gcp_vpc_connector,
)
from infra_verify.iac.findings import PlanContext
from infra_verify.model import Result

C = TypeVar("C", bound=Check)


@dataclass(frozen=True)
class Counterpart(Generic[C]):
    """A check class and the function judging a plan for checks of that class."""

    check_class: type[C]
    expect: Callable[[C, PlanContext], Result]

    @property
    def kind(self) -> str:
        """The check kind, e.g. ``gcp.load_balancer``."""
        return self.check_class.kind

    def judge(self, check: Check, ctx: PlanContext) -> Result | None:
        """The plan result for ``check``; None when it is not of this counterpart's class."""
        return self.expect(check, ctx) if isinstance(check, self.check_class) else None


def by_kind(*counterparts: Counterpart[Any]) -> dict[str, Counterpart[Any]]:
    """Counterparts keyed by their check kind."""
    return {c.kind: c for c in counterparts}


COUNTERPARTS: dict[str, Counterpart[Any]] = by_kind(
    Counterpart(Dns, dns.expect),
    Counterpart(GcpDnsRecord, gcp_dns_record.expect),
    Counterpart(GcpManagedCertificate, gcp_managed_certificate.expect),
    Counterpart(GcpLoadBalancer, gcp_load_balancer.expect),
    Counterpart(GcpCloudRunService, gcp_cloud_run_service.expect),
    Counterpart(GcpVpcConnector, gcp_vpc_connector.expect),
    Counterpart(GcpCloudSqlInstance, gcp_cloud_sql_instance.expect),
    Counterpart(GcpCloudSqlPath, gcp_cloud_sql_path.expect),
)


def counterpart(check: Check, ctx: PlanContext) -> Result | None:
    """The plan result for one policy check, or None when its kind has no plan counterpart."""
    found = COUNTERPARTS.get(check.kind)
    return found.judge(check, ctx) if found is not None else None
