"""The ``infra-verify`` / ``python -m infra_verify`` entry point: dispatch to a subcommand.

    python -m infra_verify staging                 run policies/staging.yaml (the run command)
    python -m infra_verify run staging             the same, spelled out
    python -m infra_verify plan staging --plan F   check a Terraform plan against the policy
    python -m infra_verify init | kinds | merge    scaffold a policy, list kinds, merge shard reports

Exit codes: 0 the deployment is complete, 1 it is not, 2 bad input or usage (a report that
cannot be written included: stdout closed, a broken pipe, a full disk), 3 internal error (an
exception escaped infra_verify: a bug; its traceback is printed, redacted). This is the one
place that maps what escapes a command to an exit code; stdout and stderr failures never turn
into a traceback or another code.
"""

from __future__ import annotations

import importlib
import sys
import traceback
from collections.abc import Sequence
from typing import TextIO, cast

from infra_verify.cli.common import (
    EXIT_INTERNAL,
    EXIT_USAGE,
    OutputError,
    ReportStream,
    err,
)
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
    out = ReportStream(stdout if stdout is not None else sys.stdout)
    args = list(sys.argv[1:] if argv is None else argv)
    name = args[0] if args and args[0] in SUBCOMMANDS else "run"
    if (name == "run" and args[:1] == ["run"]) or name != "run":
        args = args[1:]
    try:
        module, _, attr = SUBCOMMANDS[name].partition(":")
        command = getattr(importlib.import_module(module), attr)
        code: int = command(args, stdout=cast(TextIO, out))
        out.flush()
    except OutputError as exc:
        err(f"infra_verify: error: {exc}\n")
        return EXIT_USAGE
    except UsageError as exc:
        err(f"infra_verify: error: {exc}\n")
        return EXIT_USAGE
    except SystemExit:  # argparse printed --help, --version or a usage error on its own
        try:
            ReportStream(sys.stdout).flush()
        except OutputError as output:
            err(f"infra_verify: error: {output}\n")
            raise SystemExit(EXIT_USAGE) from None
        raise
    except Exception as exc:  # a bug in infra_verify: say so, and exit 3 (as pytest does)
        return internal_error(exc)
    if out.failed:  # a command that caught the OutputError itself (run_command) said so already
        return EXIT_USAGE
    return code


def internal_error(exc: BaseException) -> int:
    """Report an exception that escaped a command: its redacted traceback, one closing line
    that says it is a bug, exit code 3."""
    from infra_verify.redact import redact

    text = "".join(traceback.format_exception(exc))
    err(redact(text))
    summary = " ".join(f"{type(exc).__name__}: {exc}".split())
    err(
        f"infra_verify: internal error: {redact(summary)} (a bug in infra_verify, not in the "
        "deployment; please report it with the traceback above) [exit 3]\n"
    )
    return EXIT_INTERNAL
