"""Turn a policy's ``gcp:`` section and the run's flags into GcpSettings.

The project comes from the policy, else ``--project``, else the environment
(``GOOGLE_CLOUD_PROJECT``, ``CLOUDSDK_CORE_PROJECT``), else ADC's own project at first use.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from infra_verify.gcp.clients import GcpSettings

if TYPE_CHECKING:
    from infra_verify.policy.load import GcpSection


def settings_from_policy(
    section: GcpSection | None,
    *,
    project: str | None = None,
    allow_credentials_to_custom_endpoints: bool = False,
) -> GcpSettings:
    """GcpSettings for a policy section; empty endpoint values mean Google's default."""
    chosen = (
        (section.project if section else None)
        or project
        or os.environ.get("GOOGLE_CLOUD_PROJECT")
        or os.environ.get("CLOUDSDK_CORE_PROJECT")
        or ""
    )
    endpoints = {}
    if section is not None:
        endpoints = {k: v for k, v in section.endpoints.model_dump().items() if v}
    return GcpSettings(
        project=chosen,
        region=(section.region if section and section.region else "us-central1"),
        credentials=section.credentials if section else "adc",
        endpoints=endpoints,
        allow_credentials_to_custom_endpoints=allow_credentials_to_custom_endpoints,
    )
