"""infra_verify: decide whether a deployment is really done, and name the first broken link.

The public API (everything else is private and may change)::

    from infra_verify import Gate, load_policy
    run = Gate.from_policy("policies/staging.yaml").run()
    run.raise_for_failure()
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "Check",
    "CheckContext",
    "CheckDefinitionError",
    "DeploymentIncomplete",
    "Gate",
    "GateRun",
    "InfraVerifyError",
    "Observation",
    "Outcome",
    "Policy",
    "PolicyError",
    "ProbeError",
    "Result",
    "Status",
    "UsageError",
    "__version__",
    "all_of",
    "any_of",
    "bundles",
    "load_policy",
    "register_kind",
]

_LAZY = {
    "Check": "infra_verify.check",
    "CheckContext": "infra_verify.context",
    "Observation": "infra_verify.model",
    "Outcome": "infra_verify.model",
    "Result": "infra_verify.model",
    "Status": "infra_verify.model",
    "Gate": "infra_verify.gate",
    "GateRun": "infra_verify.gate",
    "Policy": "infra_verify.policy.load",
    "load_policy": "infra_verify.policy.load",
    "register_kind": "infra_verify.checks.registry",
    "DeploymentIncomplete": "infra_verify.gate",
    "CheckDefinitionError": "infra_verify.errors",
    "InfraVerifyError": "infra_verify.errors",
    "PolicyError": "infra_verify.errors",
    "ProbeError": "infra_verify.errors",
    "UsageError": "infra_verify.errors",
    "all_of": "infra_verify.combinators",
    "any_of": "infra_verify.combinators",
    "bundles": "infra_verify.checks.bundles",  # the module itself
}

if TYPE_CHECKING:
    from infra_verify.check import Check
    from infra_verify.checks import bundles
    from infra_verify.checks.registry import register_kind
    from infra_verify.combinators import all_of, any_of
    from infra_verify.context import CheckContext
    from infra_verify.errors import (
        CheckDefinitionError,
        InfraVerifyError,
        PolicyError,
        ProbeError,
        UsageError,
    )
    from infra_verify.gate import DeploymentIncomplete, Gate, GateRun
    from infra_verify.model import Observation, Outcome, Result, Status
    from infra_verify.policy.load import Policy, load_policy


def __getattr__(name: str) -> Any:
    """Import public names on first use, so ``--help`` stays fast."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'infra_verify' has no attribute {name!r}")
    import importlib

    imported = importlib.import_module(module)
    value = imported if module.rsplit(".", 1)[-1] == name else getattr(imported, name)
    globals()[name] = value
    return value
