"""``gcp.managed_certificate``: a Google-managed certificate (compute sslCertificates, global or
regional, or Certificate Manager) is ACTIVE for every expected domain, with days to spare.

Every domain status has its own message and hint. PROVISIONING is "not yet" (worth waiting
for); PROVISIONING_FAILED_PERMANENTLY is terminal. FAILED_NOT_VISIBLE means DNS for the domain
does not reach the load balancer, so the dns checks of those domains explain it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import Field, model_validator

from infra_verify.check import Check
from infra_verify.checks.gcp.base import GcpCheck, Reader, not_found, valid_name
from infra_verify.context import CheckContext
from infra_verify.durations import DurationLike
from infra_verify.edges import address_records_on_host, norm_host, of_kind
from infra_verify.gcp import reads
from infra_verify.gcp.names import ResourceName
from infra_verify.model import Eta, Observation, Outcome

PROVISIONING_WINDOW = 3600.0
"""Google: provisioning a managed certificate "might take up to 60 minutes" once DNS points at
the load balancer. The gate cannot see when DNS first did, so the window counts from the read."""


def provisioning_eta(now: dt.datetime, name: str) -> Eta:
    """A managed certificate still PROVISIONING: any moment from now, within Google's window."""
    at = now.timestamp()
    return Eta(
        at,
        at + PROVISIONING_WINDOW,
        f"certificate {name} is PROVISIONING (Google: up to 60 minutes once DNS points at the "
        "load balancer; counted from now, the first time the gate can tell)",
    )


DOMAIN_STATUS: dict[str, tuple[str, str]] = {
    "ACTIVE": ("active", ""),
    "PROVISIONING": (
        "still provisioning (not yet)",
        "wait: Google validates each domain once its DNS points at the load balancer (usually 15-60 minutes)",
    ),
    "FAILED_NOT_VISIBLE": (
        "not visible: DNS for this domain does not reach the load balancer",
        "point the domain's A/AAAA record at the load balancer's IP (see the dns checks); provisioning then resumes by itself",
    ),
    "FAILED_CAA_CHECKING": (
        "CAA lookup failed (the domain's DNS did not answer the CAA query)",
        "make the domain's authoritative DNS answer CAA queries (NOERROR, even if empty)",
    ),
    "FAILED_CAA_FORBIDDEN": (
        "a CAA record forbids Google's certificate authorities",
        'add CAA records allowing Google: 0 issue "pki.goog" and 0 issue "letsencrypt.org"',
    ),
    "FAILED_RATE_LIMITED": (
        "the certificate authority rate-limited issuance",
        "wait a few hours and avoid re-creating the certificate; Google retries by itself",
    ),
    "DOMAIN_STATUS_UNSPECIFIED": (
        "status unspecified",
        "describe the certificate with gcloud and contact support if it persists",
    ),
}


@dataclass(frozen=True)
class CertificateObserved:
    """What the gcp.managed_certificate probe read, and when."""

    project: str
    """The project read."""
    region: str
    """The region of a regional certificate (also named in the remediation of a missing one)."""
    certificate: dict[str, Any] | None
    """The compute sslCertificate, or the Certificate Manager certificate, as the REST API
    returns it; None: it does not exist (404)."""
    read_at: dt.datetime
    """When it was read (UTC): the days left before expiry count from here."""
    missing: tuple[str, ...] = ()
    """The server's words for the 404, when the certificate does not exist."""


class GcpManagedCertificate(GcpCheck):
    """A Google-managed certificate is ACTIVE for every expected domain, with days to spare."""

    kind = "gcp.managed_certificate"

    name: str = Field(
        description="certificate name (or its path: projects/P/global/sslCertificates/NAME, "
        "projects/P/regions/R/sslCertificates/NAME, projects/P/locations/L/certificates/NAME)"
    )
    domains: tuple[str, ...] = Field(
        default=(), description="domains that must be on the certificate and ACTIVE"
    )
    min_days_valid: int = Field(
        default=14, description="fail when fewer days are left before expiry"
    )
    certificate_manager: bool = Field(
        default=False,
        description="read a Certificate Manager certificate instead of a compute SSL certificate",
    )
    location: str = Field(default="global", description="Certificate Manager location")
    regional: bool = Field(
        default=False, description="a regional compute SSL certificate (in 'region')"
    )

    if TYPE_CHECKING:

        def __init__(
            self,
            name: str,
            *,
            region: str | None = None,
            project: str | None = None,
            domains: Sequence[str] = (),
            min_days_valid: int = 14,
            certificate_manager: bool = False,
            location: str = "global",
            regional: bool = False,
            id: str = "",
            after: Sequence[str | Check] | str | Check = (),
            timeout: DurationLike | None = None,
            poll: DurationLike | None = None,
            poll_max: DurationLike | None = None,
            description: str | None = None,
        ) -> None:
            """Build the check (the subject may be positional)."""

    @model_validator(mode="after")
    def _valid_name(self) -> GcpManagedCertificate:
        valid_name(self.name, "certificates" if self.certificate_manager else "sslCertificates")
        return self

    def subject(self) -> str:
        """The certificate's name."""
        return self.name

    @property
    def short_name(self) -> str:
        """The certificate's own name."""
        kind = "certificates" if self.certificate_manager else "sslCertificates"
        return ResourceName.parse(self.name, kind).name

    def host(self) -> str | None:
        """The first domain."""
        return norm_host(self.domains[0]) if self.domains else None

    def infer_edges(self, others: Sequence[Check]) -> Iterable[tuple[str, str]]:
        """Explained by the DNS checks of its domains (live and Cloud DNS)."""
        for domain in self.domains:
            for cid in address_records_on_host(others, domain):
                yield cid, "soft"
            for other in of_kind(others, "gcp.dns_record"):
                covers = getattr(other, "covers_host", None)
                if covers is not None and covers(domain):
                    yield other.id, "soft"

    async def probe(self, ctx: CheckContext) -> CertificateObserved:
        """Read the certificate (compute, global or regional, or Certificate Manager)."""
        reader = self.reader(ctx)
        await reader.ensure_project()
        cert, project, region = await read_certificate(
            self, reader, ctx, self.name, self.certificate_manager, self.location, self.regional
        )
        region = region or self.region_for(ctx)
        now = dt.datetime.now(dt.UTC)
        return CertificateObserved(project, region, cert, now, tuple(reader.missing))

    def judge(self, observed: CertificateObserved) -> Outcome:
        """The certificate's status per domain and its days left, as of ``observed.read_at``."""
        cert, now = observed.certificate, observed.read_at
        domains = ",".join(self.domains)
        if self.certificate_manager:
            if cert is None:
                return not_found(
                    f"Certificate Manager certificate {self.short_name} ({self.location})",
                    observed.project,
                    f"gcloud certificate-manager certificates create {self.short_name} --domains={domains}",
                    observed.missing,
                )
            return self._judge_certificate_manager(cert, now)
        if cert is None:
            return not_found(
                f"SSL certificate {self.short_name}",
                observed.project,
                f"gcloud compute ssl-certificates create {self.short_name} --domains={domains} "
                + (f"--region={observed.region}" if self.regional else "--global"),
                observed.missing,
            )
        return self._judge_ssl_certificate(cert, now)

    def _judge_ssl_certificate(self, cert: dict[str, Any], now: dt.datetime) -> Outcome:
        """type MANAGED, status ACTIVE, every domain ACTIVE, enough days left."""
        managed = cert.get("managed") or {}
        status = managed.get("status", "MANAGED_CERTIFICATE_STATUS_UNSPECIFIED")
        domain_status: dict[str, str] = managed.get("domainStatus") or {}
        on_cert = {norm_host(d) for d in managed.get("domains", [])}
        obs = [
            Observation(
                "type",
                "MANAGED",
                cert.get("type", "(unset)"),
                cert.get("type") == "MANAGED",
                self.name,
            ),
            Observation("managed.status", "ACTIVE", status, status == "ACTIVE", self.name),
        ]
        problems: list[tuple[str, str, str]] = []  # (domain, message, hint)
        for domain in self.domains:
            if norm_host(domain) not in on_cert:
                obs.append(
                    Observation(
                        f"domain {domain}", "on the certificate", "absent", False, self.name
                    )
                )
                problems.append(
                    (
                        domain,
                        "is not on the certificate",
                        f"managed certificates cannot change domains: create a new one with --domains={','.join(self.domains)} and attach it to the HTTPS proxy",
                    )
                )
                continue
            ds = (
                domain_status.get(domain)
                or domain_status.get(norm_host(domain) or "")
                or "DOMAIN_STATUS_UNSPECIFIED"
            )
            message, hint = DOMAIN_STATUS.get(ds, (ds, "describe the certificate with gcloud"))
            obs.append(Observation(f"domain {domain}", "ACTIVE", ds, ds == "ACTIVE", self.name))
            if ds != "ACTIVE":
                problems.append((domain, message, hint))
        days = self._days_left(cert, now)
        if status == "ACTIVE" and days is not None:
            obs.append(
                Observation(
                    "days left",
                    f">= {self.min_days_valid}",
                    f"{days:.0f}",
                    days >= self.min_days_valid,
                    self.name,
                )
            )
        if cert.get("type") not in (None, "MANAGED"):
            return Outcome.failed(
                f"certificate {self.name} is {cert.get('type')}, not Google-managed",
                tuple(obs),
                hint="use a Google-managed certificate, or check it with a tls check instead",
            )
        if status == "PROVISIONING_FAILED_PERMANENTLY":
            return Outcome.failed(
                f"certificate {self.name} failed to provision permanently",
                tuple(obs),
                terminal=True,
                hint=(
                    f"fix DNS first, then re-create it: gcloud compute ssl-certificates delete {self.name} --global && "
                    f"gcloud compute ssl-certificates create {self.name} --domains={','.join(self.domains)} --global"
                ),
            )
        if problems:
            domain, message, hint = problems[0]
            more = f" (+{len(problems) - 1} more domain(s))" if len(problems) > 1 else ""
            provisioning = status == "PROVISIONING" and all(
                m == DOMAIN_STATUS["PROVISIONING"][0] for _, m, _ in problems
            )
            return Outcome.failed(
                f"certificate {self.name} is {status}: {domain} {message}{more}",
                tuple(obs),
                hint=hint,
                eta=provisioning_eta(now, self.name) if provisioning else None,
            )
        if status != "ACTIVE":
            hint = (
                DOMAIN_STATUS["PROVISIONING"][1]
                if status == "PROVISIONING"
                else "describe the certificate: gcloud compute ssl-certificates describe "
                + self.name
            )
            return Outcome.failed(
                f"certificate {self.name} is {status}",
                tuple(obs),
                hint=hint,
                eta=provisioning_eta(now, self.name) if status == "PROVISIONING" else None,
            )
        return Outcome.judge(
            obs,
            ok=f"certificate {self.name} ACTIVE for {len(self.domains)} domain(s), {days:.0f} days left"
            if days is not None
            else f"certificate {self.name} ACTIVE",
            hint="Google renews managed certificates by itself while DNS points at the load balancer; check that it still does",
        )

    def _judge_certificate_manager(self, cert: dict[str, Any], now: dt.datetime) -> Outcome:
        """Certificate Manager: managed.state ACTIVE and every domain AUTHORIZED."""
        managed = cert.get("managed") or {}
        state = managed.get("state", "STATE_UNSPECIFIED")
        obs = [Observation("managed.state", "ACTIVE", state, state == "ACTIVE", self.name)]
        attempts = {
            norm_host(a.get("domain")): a for a in managed.get("authorizationAttemptInfo", [])
        }
        on_cert = {norm_host(d) for d in managed.get("domains", [])}
        first_problem: str | None = None
        hint: str | None = None
        for domain in self.domains:
            if norm_host(domain) not in on_cert:
                obs.append(
                    Observation(
                        f"domain {domain}", "on the certificate", "absent", False, self.name
                    )
                )
                first_problem = first_problem or f"{domain} is not on the certificate"
                continue
            attempt = attempts.get(norm_host(domain)) or {}
            a_state = attempt.get(
                "state", "AUTHORIZING" if state == "PROVISIONING" else "AUTHORIZED"
            )
            obs.append(
                Observation(
                    f"domain {domain}",
                    "AUTHORIZED",
                    f"{a_state} {attempt.get('failureReason', '')}".strip(),
                    a_state == "AUTHORIZED",
                    self.name,
                )
            )
            if a_state != "AUTHORIZED" and first_problem is None:
                reason = attempt.get("failureReason", "")
                first_problem = f"{domain} is {a_state}" + (
                    f" ({reason}: {attempt.get('details', '')})" if reason else ""
                )
                hint = {
                    "CONFIG": "point the domain's DNS at the load balancer, or add the DNS authorization's CNAME record",
                    "CAA": 'add CAA records allowing Google: 0 issue "pki.goog"',
                    "RATE_LIMITED": "wait and avoid re-creating the certificate",
                }.get(reason, "wait while the domain is authorized")
        days = self._days_left(cert, now)
        if state == "ACTIVE" and days is not None:
            obs.append(
                Observation(
                    "days left",
                    f">= {self.min_days_valid}",
                    f"{days:.0f}",
                    days >= self.min_days_valid,
                    self.name,
                )
            )
        if first_problem or state != "ACTIVE":
            issue = managed.get("provisioningIssue") or {}
            summary = f"Certificate Manager certificate {self.name} is {state}" + (
                f": {first_problem}" if first_problem else ""
            )
            if issue.get("reason"):
                summary += f" (provisioning issue {issue['reason']})"
            failing = any(a.get("failureReason") for a in attempts.values())
            absent = any(norm_host(d) not in on_cert for d in self.domains)
            waiting = state == "PROVISIONING" and not issue and not failing and not absent
            return Outcome.failed(
                summary,
                tuple(obs),
                hint=hint or "wait while the certificate provisions",
                eta=provisioning_eta(now, self.name) if waiting else None,
            )
        return Outcome.judge(
            obs,
            ok=f"Certificate Manager certificate {self.name} ACTIVE",
            hint="renewal is at risk: check DNS authorization",
        )

    @staticmethod
    def _days_left(cert: dict[str, Any], now: dt.datetime) -> float | None:
        raw = cert.get("expireTime")
        if not raw:
            return None
        try:
            expires = dt.datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
        except ValueError:
            return None
        if expires.tzinfo is None:
            expires = expires.replace(tzinfo=dt.UTC)
        return (expires - now).total_seconds() / 86400


async def read_certificate(
    check: GcpCheck,
    reader: Reader,
    ctx: CheckContext,
    ref: str,
    certificate_manager: bool,
    location: str,
    regional: bool,
) -> tuple[dict[str, Any] | None, str, str | None]:
    """A certificate by name or path (compute, global or regional, or Certificate Manager):
    the resource or None, its project, and its region when it is a regional compute one."""
    kind = "certificates" if certificate_manager else "sslCertificates"
    name = ResourceName.parse(ref, kind)
    project = name.project or check.project_for(reader)
    if certificate_manager:
        cert = await reader.get_or_none(
            reads.get_certificate_manager_certificate,
            name.location or location,
            name.name,
            project=project,
        )
        return cert, project, None
    region = None
    if regional or name.location not in (None, "global"):
        region = name.location or check.region_for(ctx)
    cert = await reader.get_or_none(reads.get_ssl_certificate, name.name, region, project=project)
    return cert, project, region
