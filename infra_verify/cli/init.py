"""``python -m infra_verify init``: write a starter policy from a live load balancer.

    python -m infra_verify init --from-forwarding-rule netra-staging-https --project netra-staging
    python -m infra_verify init --from-forwarding-rule R --environment prod --output policies/prod.yaml

It walks the chain through the read-only APIs (``infra_verify.gcp.discover``): forwarding rule (the IP) -> target HTTPS proxy
(the certificates) -> URL map (the hosts, the backend services) -> serverless NEGs -> Cloud Run
services (their VPC connectors and Cloud SQL instances) -> the connectors' and instances'
networks, and the Cloud DNS zone of the hosts' domain when the project has one. It writes:
dns + tls + http checks per host, gcp.dns_record, gcp.managed_certificate, gcp.load_balancer,
gcp.cloud_run_service, gcp.vpc_connector, gcp.cloud_sql_instance, gcp.cloud_sql_path and an
environment check. Values that differ between runs (IP, port, resolvers, project, endpoints)
are written as ``${VAR:-found value}`` so Cloud Build substitutions and tests can override them.

Exit codes: 0 written, 2 the forwarding rule (or the output) is wrong, or the API said no.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

import yaml

from infra_verify.cli.common import (
    DURATION_HELP,
    EXIT_OK,
    OneLineParser,
    duration,
    run_command,
    write_file,
)
from infra_verify.errors import UsageError
from infra_verify.gcp.discover import Discovery, discover, short

__all__ = ["Discovery", "discover", "init_main", "render_policy"]


def build_parser(prog: str = "python -m infra_verify init") -> argparse.ArgumentParser:
    """The argument parser of the ``init`` command."""
    p = OneLineParser(
        label="infra_verify init",
        prog=prog,
        description="Write a starter policy by reading a load balancer's chain through the GCP APIs.",
        epilog=(
            "exit codes: 0 written; 2 bad input, missing resource or API error; 3 internal "
            "error (infra_verify itself crashed: a bug)"
        ),
    )
    p.add_argument(
        "--from-forwarding-rule",
        required=True,
        metavar="NAME",
        help="the global HTTPS forwarding rule",
    )
    p.add_argument("--project", help="GCP project (default: GOOGLE_CLOUD_PROJECT)")
    p.add_argument("--region", default="us-central1", help="default region (default us-central1)")
    p.add_argument("--environment", default="staging", help="environment name (default staging)")
    p.add_argument(
        "--output",
        metavar="FILE",
        help=(
            "default <policies>/<environment>.yaml, <policies> found as the run command finds "
            "it (INFRA_VERIFY_POLICIES, or upward from the current directory); '-' for stdout"
        ),
    )
    p.add_argument("--force", action="store_true", help="overwrite an existing file")
    p.add_argument("--endpoint", metavar="URL", help="one endpoint for every API (a local fake)")
    p.add_argument(
        "--anonymous", action="store_true", help="anonymous credentials (local fakes only)"
    )
    p.add_argument(
        "--timeout",
        type=duration,
        default=10.0,
        metavar="DURATION",
        help=f"bound of each API read (default 10s); {DURATION_HELP}",
    )
    return p


def _labels(hosts: list[str]) -> dict[str, str]:
    firsts = [h.split(".")[0] for h in hosts]
    return {
        h: (f if firsts.count(f) == 1 else h.replace(".", "-"))
        for h, f in zip(hosts, firsts, strict=True)
    }


def render_policy(found: Discovery, environment: str) -> str:
    """The starter policy as YAML text."""
    from infra_verify.checks.gcp.cloud_run import EGRESS, INGRESS

    ingress_short = {v: k for k, v in reversed(INGRESS.items())}
    egress_short = {v: k for k, v in reversed(EGRESS.items())}
    ip = f"${{LB_IP:-{found.ip}}}"
    port = "${HTTPS_PORT:-443}"
    checks: dict[str, dict[str, Any]] = {}
    for zone, hosts in found.zones.items():
        cid = "dns-records" if len(found.zones) == 1 else f"dns-records-{zone}"
        checks[cid] = {"kind": "gcp.dns_record", "zone": zone, "names": hosts, "type": "A"}
        checks[cid]["rrdatas"] = [ip]
    for i, (cert, domains) in enumerate(found.managed_domains.items()):
        cid = "certificate" if i == 0 else f"certificate-{cert}"
        checks[cid] = {"kind": "gcp.managed_certificate", "name": cert, "domains": domains}
        checks[cid]["min_days_valid"] = 14
    lb: dict[str, Any] = {"kind": "gcp.load_balancer", "forwarding_rule": found.forwarding_rule}
    lb["ip"] = ip
    if found.certificates:
        lb["certificate"] = found.certificates[0]
    if found.hosts:
        lb["hosts"] = found.hosts
    if found.services:
        service = next(iter(found.services))
        lb["backend_service"] = found.service_backend[service]
        lb["cloud_run_service"] = service
    elif found.backend_services:
        lb["backend_service"] = found.backend_services[0]
    checks["load-balancer"] = lb

    def regional(spec: dict[str, Any], region: str) -> dict[str, Any]:
        if region != found.region:
            spec["region"] = region
        return spec

    many = len(found.services) > 1
    for name, svc in found.services.items():
        region = found.service_regions[name]
        spec: dict[str, Any] = {"kind": "gcp.cloud_run_service", "service": name}
        if svc.get("ingress") in ingress_short:
            spec["ingress"] = ingress_short[svc["ingress"]]
        vpc = (svc.get("template") or {}).get("vpcAccess") or {}
        if vpc.get("connector"):
            spec["connector"] = short(vpc["connector"])
        if vpc.get("egress") in egress_short:
            spec["egress"] = egress_short[vpc["egress"]]
        sql = found.sql_connections.get(name, [])
        if sql:
            spec["cloud_sql_instances"] = sql
        checks[f"run-{name}" if many else "run-service"] = regional(spec, region)
    for name, conn in found.connectors.items():
        spec = {"kind": "gcp.vpc_connector", "connector": name}
        if conn.get("network"):
            spec["network"] = short(str(conn["network"]))
        cid = f"vpc-connector-{name}" if len(found.connectors) > 1 else "vpc-connector"
        checks[cid] = regional(spec, found.connector_regions[name])
    for name, inst in found.sql_instances.items():
        spec = {"kind": "gcp.cloud_sql_instance", "instance": name}
        if inst.get("databaseVersion"):
            spec["database_version"] = inst["databaseVersion"]
        ipc = (inst.get("settings") or {}).get("ipConfiguration") or {}
        spec["private_ip"] = any(a.get("type") == "PRIVATE" for a in inst.get("ipAddresses", []))
        if ipc.get("privateNetwork"):
            spec["network"] = short(str(ipc["privateNetwork"]))
        if ipc.get("sslMode"):
            spec["ssl_mode"] = ipc["sslMode"]
        checks[f"cloud-sql-{name}" if len(found.sql_instances) > 1 else "cloud-sql"] = spec
    pairs = [(s, i) for s, insts in found.sql_of_service.items() for i in insts]
    for service, instance in pairs:
        cid = f"sql-path-{service}-{instance}" if len(pairs) > 1 else "sql-path"
        spec = {"kind": "gcp.cloud_sql_path", "service": service, "instance": instance}
        checks[cid] = regional(spec, found.service_regions[service])
    labels = _labels(found.hosts)
    for host in found.hosts:
        checks[f"dns-{labels[host]}"] = {"kind": "dns", "name": host, "type": "A", "expect": [ip]}
    for host in found.hosts:
        checks[f"tls-{labels[host]}"] = {"kind": "tls", "host": host, "port": port}
        checks[f"tls-{labels[host]}"]["min_days_valid"] = 14
    for host in found.hosts:
        checks[f"health-{labels[host]}"] = {
            "kind": "http",
            "url": f"https://{host}:{port}/health",
            "status": 200,
        }
    if found.sql_instances:
        checks["app-settings"] = {
            "kind": "environment",
            "require": ["DATABASE_URL"],
            "no_loopback": ["DATABASE_URL"],
        }
    else:
        checks["app-settings"] = {"kind": "environment", "equals": {"ENVIRONMENT": environment}}
    document = {
        "environment": environment,
        "description": f"starter policy from forwarding rule {found.forwarding_rule} "
        f"in {found.project}; review every check",
        "defaults": {
            "timeout": "10s",
            "deadline": "10m",
            "resolvers": ["${DNS_RESOLVER:-8.8.8.8}", "${DNS_RESOLVER_2:-1.1.1.1}"],
            "ca_bundle": "${CA_BUNDLE:-}",
        },
        "gcp": {
            "project": f"${{GCP_PROJECT:-{found.project}}}",
            "region": f"${{GCP_REGION:-{found.region}}}",
            "credentials": "${GCP_CREDENTIALS:-adc}",
            "endpoints": {
                api: "${GCP_ENDPOINT:-}"
                for api in (
                    "compute",
                    "run",
                    "dns",
                    "sqladmin",
                    "vpcaccess",
                    "certificatemanager",
                    "cloudresourcemanager",
                )
            },
        },
        "checks": checks,
    }
    header = [
        f"# Written by: python -m infra_verify init --from-forwarding-rule {found.forwarding_rule}",
        "# A starting point: read every check, fix the health paths (/health is a guess) and",
        "# add websocket checks and the settings your deploy ships (the app-settings check).",
        "# ${VAR:-value} keeps the value found, overridable from the environment (e.g. Cloud",
        "# Build substitutions: GCP_PROJECT=$PROJECT_ID).",
    ]
    header += [f"# note: {note}" for note in found.notes]
    body = yaml.safe_dump(document, sort_keys=False, width=1000, default_flow_style=False)
    return "\n".join(header) + "\n" + body


def init_main(
    argv: Sequence[str], *, stdout: TextIO | None = None, prog: str = "python -m infra_verify init"
) -> int:
    """Run the init command; returns the exit code."""
    return run_command("infra_verify init", build_parser(prog), _main, argv, stdout)


def _main(args: argparse.Namespace, out: TextIO) -> int:
    import os

    from infra_verify.gcp.clients import API_KEYS, GcpClients, GcpSettings

    project = (
        args.project
        or os.environ.get("GOOGLE_CLOUD_PROJECT")
        or os.environ.get("CLOUDSDK_CORE_PROJECT")
    )
    if not project:
        raise UsageError("name the project: --project PROJECT (or set GOOGLE_CLOUD_PROJECT)")
    from infra_verify.cli.locate import find_policies_dir

    output = args.output or str(find_policies_dir() / f"{args.environment}.yaml")
    if output != "-" and Path(output).exists() and not args.force:
        raise UsageError(f"{output} exists; pass --force to overwrite, or --output FILE")
    settings = GcpSettings(
        project=project,
        region=args.region,
        credentials="anonymous" if args.anonymous else "adc",
        endpoints={api: args.endpoint for api in API_KEYS} if args.endpoint else {},
    )
    found = discover(GcpClients(settings), args.from_forwarding_rule, timeout=args.timeout)
    text = render_policy(found, args.environment)
    if output == "-":
        out.write(text)
    else:
        write_file(output, text)
        count = text.count("\n    kind: ")
        out.write(
            f"wrote {output}: {count} checks for {', '.join(found.hosts) or 'no hosts'} "
            f"({len(found.services)} Cloud Run services, {len(found.connectors)} VPC connectors, "
            f"{len(found.sql_instances)} Cloud SQL instances)\n"
        )
        for note in found.notes:
            out.write(f"  note: {note}\n")
        out.write(f"next: python -m infra_verify --policy {output} --list\n")
    out.flush()
    return EXIT_OK
