"""The ``infra-verify`` / ``python -m infra_verify`` entry point: dispatch to a subcommand.

    infra-verify staging                 run policies/staging.yaml (the run command)
    infra-verify run staging             the same, spelled out
    infra-verify plan staging --plan F   check a Terraform plan against the policy
    infra-verify init | kinds | merge    scaffold a policy, list kinds, merge shard reports
    infra-verify completion bash|zsh     the shell completion script

The program name in usage and help follows how it was invoked (``infra-verify`` or
``python -m infra_verify``).

Exit codes: 0 the deployment is complete, 1 it is not, 2 bad input or usage (a report that
cannot be written included: stdout closed, a broken pipe, a full disk), 3 internal error (an
exception escaped infra_verify: a bug; its traceback is printed, redacted). This is the one
place that maps what escapes a command to an exit code; stdout and stderr failures never turn
into a traceback or another code.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO, cast

from infra_verify.cli.common import (
    COMMAND_HELP,
    EXIT_INTERNAL,
    EXIT_USAGE,
    OutputError,
    ReportStream,
    err,
)
from infra_verify.errors import UsageError

SUBCOMMANDS: dict[str, str] = {
    # name -> "module:function(argv, *, stdout, prog) -> exit code"; imported only when used
    "run": "infra_verify.cli.run:run_main",
    "plan": "infra_verify.cli.plan:plan_main",
    "init": "infra_verify.cli.init:init_main",
    "kinds": "infra_verify.cli.kinds:kinds_main",
    "merge": "infra_verify.cli.merge:merge_main",
    "completion": "infra_verify.cli.completion:completion_main",
}


NO_PYDANTIC_PLUGINS = ("PYDANTIC_DISABLE_PLUGINS", "__all__")
"""Set in the CLI's own process unless the user set the variable (to anything, even empty).

pydantic plugins (the ``pydantic`` entry point group) observe the validation of every model;
the only models the CLI's process validates are infra_verify's own policy and check models, so
finding plugins (a scan of every installed distribution's entry points, on the first model
built, and the import of ``importlib.metadata`` it needs: ``cli/pydantic_plugins.py``) would
cost every start and serve no one. A program that calls ``main(argv)`` or the library keeps
pydantic's behaviour; ``PYDANTIC_DISABLE_PLUGINS=`` (empty) keeps it for the CLI."""


def program_name(argv0: str) -> str:
    """The name the CLI was invoked by: ``infra-verify`` or ``python -m infra_verify``."""
    name = Path(argv0).name
    if name in ("__main__.py", "-m", "-c", ""):
        return "python -m infra_verify"
    return name


def commands_help(prog: str) -> str:
    """The commands section of ``--help`` (the run command's help, when run is implicit)."""
    width = max(len(name) for name in COMMAND_HELP)
    lines = [f"  {name:<{width}}  {text}" for name, text in COMMAND_HELP.items()]
    return (
        "commands:\n"
        + "\n".join(lines)
        + f"\n\nWithout a command, the run command runs: '{prog} staging' is '{prog} run "
        "staging' (for an environment named like a command, write run). "
        f"'{prog} COMMAND --help' shows a command's options; the options below are the "
        "run command's."
    )


def main(
    argv: Sequence[str] | None = None, *, stdout: TextIO | None = None, prog: str | None = None
) -> int:
    """Run the CLI (the run command when no command is named); returns the exit code."""
    out = ReportStream(stdout if stdout is not None else sys.stdout)
    if argv is None:  # the process's entry point: python -m infra_verify, infra-verify
        from infra_verify.cli.pydantic_plugins import skip_lookup

        os.environ.setdefault(*NO_PYDANTIC_PLUGINS)
        skip_lookup()
    args = list(sys.argv[1:] if argv is None else argv)
    prog = prog or (program_name(sys.argv[0]) if argv is None else "infra-verify")
    options: dict[str, str] = {}
    if args and args[0] in SUBCOMMANDS:
        name, rest, options["prog"] = args[0], args[1:], f"{prog} {args[0]}"
    else:
        name, rest, options["prog"], options["commands"] = "run", args, prog, commands_help(prog)
    try:
        module, _, attr = SUBCOMMANDS[name].partition(":")
        command = getattr(importlib.import_module(module), attr)
        code: int = command(rest, stdout=cast(TextIO, out), **options)
        out.flush()
    except OutputError as exc:
        err(f"infra_verify: error: {exc}\n")
        return EXIT_USAGE
    except UsageError as exc:
        err(f"infra_verify: error: {exc}\n")
        return EXIT_USAGE
    except SystemExit as exc:  # argparse printed --help, --version or a usage error on its own
        try:
            ReportStream(sys.stdout).flush()
        except OutputError as output:
            err(f"infra_verify: error: {output}\n")
            return EXIT_USAGE
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    except Exception as exc:  # a bug in infra_verify: say so, and exit 3 (as pytest does)
        return internal_error(exc)
    if out.failed:  # a command that caught the OutputError itself (run_command) said so already
        return EXIT_USAGE
    return code


def internal_error(exc: BaseException) -> int:
    """Report an exception that escaped a command: its redacted traceback, one closing line
    that says it is a bug, exit code 3."""
    import traceback  # only a crash needs it (and linecache, tokenize): not every start

    from infra_verify.redact import redact

    text = "".join(traceback.format_exception(exc))
    err(redact(text))
    summary = " ".join(f"{type(exc).__name__}: {exc}".split())
    err(
        f"infra_verify: internal error: {redact(summary)} (a bug in infra_verify, not in the "
        "deployment; please report it with the traceback above) [exit 3]\n"
    )
    return EXIT_INTERNAL
