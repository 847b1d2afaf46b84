"""The ``infra-verify`` / ``python -m infra_verify`` entry point: dispatch to a subcommand.

    python -m infra_verify staging                 run policies/staging.yaml (the run command)
    python -m infra_verify run staging             the same, spelled out
    python -m infra_verify plan staging --plan F   check a Terraform plan against the policy
    python -m infra_verify init | kinds | merge    scaffold a policy, list kinds, merge shard reports

Exit codes: 0 the deployment is complete, 1 it is not, 2 bad input or usage.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from typing import TextIO

from infra_verify.cli.common import EXIT_USAGE
from infra_verify.errors import UsageError

SUBCOMMANDS: dict[str, str] = {
    # name -> "module:function(argv, *, stdout) -> exit code"; imported only when used
    "run": "infra_verify.cli.run:run_main",
    "plan": "infra_verify.cli.plan:plan_main",
    "init": "infra_verify.cli.init:init_main",
    "merge": "infra_verify.cli.merge:merge_main",
    "kinds": "infra_verify.cli.kinds:kinds_main",
}


def main(argv: Sequence[str] | None = None, *, stdout: TextIO | None = None) -> int:
    """Run the CLI; returns the exit code. Without a subcommand name, the run command runs."""
    out = stdout or sys.stdout
    args = list(sys.argv[1:] if argv is None else argv)
    name = args[0] if args and args[0] in SUBCOMMANDS else "run"
    if (name == "run" and args[:1] == ["run"]) or name != "run":
        args = args[1:]
    module, _, attr = SUBCOMMANDS[name].partition(":")
    command = getattr(importlib.import_module(module), attr)
    try:
        code: int = command(args, stdout=out)
    except UsageError as exc:
        sys.stderr.write(f"infra_verify: error: {exc}\n")
        return EXIT_USAGE
    return code
