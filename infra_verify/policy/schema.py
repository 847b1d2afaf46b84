"""The policy file's own keys (everything but the checks' keys, which are the kinds' fields)."""

from __future__ import annotations

import os
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from infra_verify.durations import Duration
from infra_verify.gcp.clients import GcpSettings
from infra_verify.gcp.endpoints import parse_endpoint


class Defaults(BaseModel):
    """Policy-wide defaults."""

    model_config = ConfigDict(extra="forbid")

    timeout: Duration = Field(default=10.0, description="per-probe timeout")
    deadline: Duration = Field(default=600.0, description="overall deadline for the whole run")
    resolvers: tuple[str, ...] = Field(
        default=(), description="DNS resolvers (ip or ip:port); empty = the system's"
    )
    ca_bundle: str | None = Field(
        default=None, description="PEM CA bundle for tls/http/websocket; empty = the system store"
    )
    concurrency: int = Field(default=64, ge=1, le=10_000, description="checks probing at once")
    workers: int | Literal["auto"] = Field(
        default="auto",
        description=(
            "processes a run uses: a number, or auto (one per usable core from 300 checks on)"
        ),
    )
    poll: Duration = Field(default=5.0, description="first poll interval in --wait mode")
    poll_max: Duration = Field(default=60.0, description="longest poll interval in --wait mode")

    @field_validator("workers", mode="before")
    @classmethod
    def _workers(cls, value: Any) -> Any:
        """A whole number from 1 to 256, or auto: anything else says so in one line."""
        if value == "auto" or (type(value) is int and 1 <= value <= 256):
            return value
        raise ValueError(
            f"{value!r} is not a process count: write a whole number from 1 to 256, or auto "
            "(one process per usable core for large runs)"
        )


class Endpoints(BaseModel):
    """Per-API endpoint overrides (Private Service Connect, restricted VIPs, a local fake)."""

    model_config = ConfigDict(extra="forbid")

    compute: str | None = None
    run: str | None = None
    dns: str | None = None
    sqladmin: str | None = None
    vpcaccess: str | None = None
    certificatemanager: str | None = None
    cloudresourcemanager: str | None = None
    artifactregistry: str | None = None
    networkmanagement: str | None = None

    @field_validator("*")
    @classmethod
    def _strict_url(cls, value: str | None) -> str | None:
        """Parse each override with the one strict endpoint parser; keep its canonical URL."""
        return parse_endpoint(value).url if value else value


class GcpSection(BaseModel):
    """The Google Cloud project the GCP checks read."""

    model_config = ConfigDict(extra="forbid")

    project: str | None = Field(
        default=None, description="project id; else --project, else ADC's project"
    )
    region: str | None = Field(default=None, description="default region for regional resources")
    credentials: Literal["adc", "anonymous"] = Field(
        default="adc", description="adc, or anonymous for local fakes"
    )
    endpoints: Endpoints = Field(
        default_factory=Endpoints, description="per-API endpoint overrides (below)"
    )

    def settings(
        self, *, project: str | None = None, allow_credentials_to_custom_endpoints: bool = False
    ) -> GcpSettings:
        """GcpSettings for this section: the project from here, else ``project`` (--project),
        else the environment (GOOGLE_CLOUD_PROJECT, CLOUDSDK_CORE_PROJECT), else ADC's own
        project at first use. Empty endpoint values mean Google's default."""
        chosen = (
            self.project
            or project
            or os.environ.get("GOOGLE_CLOUD_PROJECT")
            or os.environ.get("CLOUDSDK_CORE_PROJECT")
            or ""
        )
        return GcpSettings(
            project=chosen,
            region=self.region or "us-central1",
            credentials=self.credentials,
            endpoints={k: v for k, v in self.endpoints.model_dump().items() if v},
            allow_credentials_to_custom_endpoints=allow_credentials_to_custom_endpoints,
        )


class PolicyDocument(BaseModel):
    """The top level of a policy file."""

    model_config = ConfigDict(extra="forbid")

    environment: str = Field(description="the environment's name, e.g. staging")
    description: str | None = Field(default=None, description="free text shown in reports")
    defaults: Defaults = Field(default_factory=Defaults, description="policy-wide defaults (below)")
    gcp: GcpSection | None = Field(
        default=None, description="the Google Cloud project the gcp.* checks read (below)"
    )
    plan: dict[str, Any] | None = Field(
        default=None,
        description="plan-check settings: {disable: {RULE_ID: reason}} (see the IaC section)",
    )
    checks: dict[str, dict[str, Any]] = Field(
        description="check id -> {kind: ..., keys of that kind}"
    )
