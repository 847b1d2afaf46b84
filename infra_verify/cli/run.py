"""The run command: the gate over one environment's policy, its flags and its reports.

    python -m infra_verify staging                 run policies/staging.yaml
    python -m infra_verify staging --list          show the checks and their dependencies
    python -m infra_verify plan staging --plan F   check a Terraform plan against the policy

Exit codes: 0 the deployment is complete, 1 it is not, 2 bad input or usage, 3 internal error
(see ``common.EXIT_CODES``).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from infra_verify import __version__
from infra_verify.errors import UsageError

if TYPE_CHECKING:
    from infra_verify.gate import Gate, GateRun
    from infra_verify.policy.load import Policy
    from infra_verify.shard import Shard

from infra_verify.cli.common import (
    COMMAND_HELP,
    DURATION_HELP,
    EXIT_CODES,
    EXIT_INCOMPLETE,
    EXIT_OK,
    FORMAT_HELP,
    FORMATS,
    OneLineParser,
    ParagraphFormatter,
    duration,
    err,
    is_stdout,
    stderr,
    terminal_stderr,
    use_color,
    write_file,
)
from infra_verify.cli.locate import POLICIES_ENV

POLICIES_DIR_HELP = (
    f"where environment policies live (default: ${POLICIES_ENV} if set, else the first "
    "policies/ directory found from the current directory upward, stopping at the "
    "repository root, the directory holding .git)"
)


def build_parser(
    prog: str = "python -m infra_verify", commands: str | None = None
) -> argparse.ArgumentParser:
    """The argument parser of the run command; ``commands`` (when run is implicit) goes in --help."""
    description = (
        "Decide whether a deployment is really done: run a policy's checks and name root causes."
    )
    p = OneLineParser(
        prog=prog,
        usage=(
            f"{prog} [run] ENVIRONMENT [options]\n       {prog} COMMAND [options]"
            if commands
            else None
        ),
        description=f"{description}\n\n{commands}" if commands else description,
        epilog=EXIT_CODES,
        formatter_class=ParagraphFormatter,
    )
    p.add_argument(
        "environment",
        nargs="?",
        help=(
            "environment name; reads policies/<environment>.yaml, whose 'environment:' must be "
            "this name"
        ),
    )
    p.add_argument(
        "--policy", metavar="FILE", help="policy file (overrides the environment's default path)"
    )
    p.add_argument(
        "--policies-dir",
        metavar="DIR",
        help=POLICIES_DIR_HELP,
    )
    p.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="ID|KIND",
        help="run only these checks (repeatable, comma-separated)",
    )
    p.add_argument(
        "--skip",
        action="append",
        default=[],
        metavar="ID|KIND",
        help="skip these checks (repeatable, comma-separated)",
    )
    p.add_argument(
        "--list", action="store_true", help="list the checks and their dependencies; run nothing"
    )
    p.add_argument(
        "--format",
        default="text",
        choices=FORMATS,
        metavar="FORMAT",
        help=FORMAT_HELP + "; with --list or --graph: text or json",
    )
    p.add_argument(
        "--output",
        metavar="FILE",
        help="write the report to FILE instead of stdout (then stdout stays empty); '-': stdout",
    )
    p.add_argument(
        "--json", metavar="FILE", dest="json_file", help="also write the JSON report to FILE"
    )
    p.add_argument("--junit", metavar="FILE", help="also write a JUnit XML report to FILE")
    p.add_argument("--sarif", metavar="FILE", help="also write a SARIF 2.1.0 report to FILE")
    p.add_argument("--markdown", metavar="FILE", help="also write a Markdown summary to FILE")
    p.add_argument(
        "--github",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="print GitHub Actions annotations (default: on when GITHUB_ACTIONS=true)",
    )
    p.add_argument("--graph", action="store_true", help="show the dependency tree; run nothing")
    p.add_argument(
        "--show-policy",
        action="store_true",
        help=(
            "print the merged (extends:) and interpolated policy as YAML (to --output FILE if "
            "given), secrets redacted; run nothing"
        ),
    )
    p.add_argument(
        "--tf-outputs",
        metavar="FILE",
        help="terraform output -json file for ${tf.output.NAME} values",
    )
    p.add_argument(
        "--timeout",
        type=duration,
        metavar="DURATION",
        help=f"per-probe timeout, e.g. 5s (overrides defaults.timeout); {DURATION_HELP}",
    )
    p.add_argument(
        "--deadline",
        type=duration,
        metavar="DURATION",
        help=(
            "bound of the whole run, e.g. 2m (overrides defaults.deadline); with --wait it must "
            "be at least the wait (exit 2 otherwise), and the wait ends the run"
        ),
    )
    p.add_argument(
        "--wait",
        type=duration,
        metavar="DURATION",
        help=(
            "re-run failing checks with backoff until they pass or DURATION passes (bounds the "
            "waiting; replaces defaults.deadline as the run's bound)"
        ),
    )
    p.add_argument(
        "--heartbeat",
        type=duration,
        default=30.0,
        metavar="DURATION",
        help=(
            "with --wait and no terminal (CI logs): print a progress line with the counts and "
            "what has not converged every DURATION (default 30s; 0: never)"
        ),
    )
    p.add_argument(
        "--concurrency",
        type=int,
        metavar="N",
        help="checks probing at once (overrides defaults.concurrency)",
    )
    p.add_argument(
        "--workers",
        metavar="N|auto",
        help=(
            "processes a run uses (overrides defaults.workers): auto (the default) uses one "
            "per usable core from 300 selected checks on, 1 keeps the run in one process"
        ),
    )
    p.add_argument("--project", help="GCP project (when the policy does not set one)")
    p.add_argument(
        "--allow-loopback",
        action="store_true",
        help=(
            "allow probing loopback/localhost targets in a real environment (tests and local "
            "fakes only); application settings still need --allow-loopback-settings"
        ),
    )
    p.add_argument(
        "--allow-loopback-settings",
        action="store_true",
        help=(
            "allow the environment check's no_loopback settings (DATABASE_URL, ...) to point at "
            "loopback in a real environment"
        ),
    )
    p.add_argument(
        "--allow-outside-policy-dir",
        action="store_true",
        help="allow extends:, dotenv: and ca_bundle: files outside the policy's directory",
    )
    p.add_argument(
        "--shard",
        metavar="i/n|auto",
        help="run only shard i of n (a deterministic subset; 'auto': Cloud Run Jobs' task index)",
    )
    p.add_argument(
        "--allow-metadata",
        action="store_true",
        help="allow checks to contact the cloud metadata server",
    )
    p.add_argument(
        "--allow-credentials-to-custom-endpoints",
        action="store_true",
        help="send ADC credentials to GCP endpoint overrides outside googleapis.com",
    )
    p.add_argument(
        "--color",
        choices=["auto", "always", "never"],
        default="auto",
        help=(
            "colored output (default auto: color on a terminal; NO_COLOR=1 turns it off, "
            "FORCE_COLOR=1 on, NO_COLOR winning when both are set)"
        ),
    )
    p.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="show every observation, not just failing ones",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="print only the verdict line")
    p.add_argument("--version", action="version", version=f"infra_verify {__version__}")
    return p


def run_main(
    argv: Sequence[str],
    *,
    stdout: TextIO | None = None,
    prog: str = "python -m infra_verify",
    commands: str | None = None,
) -> int:
    """The run command (the gate): parse ``argv``, run the policy, report; returns the exit code."""
    out = stdout or sys.stdout
    args = build_parser(prog, commands).parse_args(list(argv))
    try:
        return _main(args, out)
    except KeyboardInterrupt:
        err("infra_verify: interrupted\n")
        return EXIT_INCOMPLETE


def _main(args: argparse.Namespace, out: TextIO) -> int:
    from infra_verify.cli.locate import find_policies_dir
    from infra_verify.gate import Gate
    from infra_verify.policy.load import find_policy, load_policy

    if not args.environment and not args.policy:
        raise UsageError(
            "name an environment (e.g. 'staging') or pass --policy FILE; --help lists the "
            "commands (plan, init, kinds, merge, completion)"
        )
    check_wait_and_deadline(args.wait, args.deadline)
    if args.show_policy and args.format != "text":
        raise UsageError(
            f"--format {args.format}: --show-policy prints the policy as YAML; drop --format"
        )
    if (args.list or args.graph) and args.format not in ("text", "json"):
        raise UsageError(
            f"--format {args.format}: --list and --graph print text or json; drop --format "
            "or pass --format json"
        )
    if args.policy:
        path = Path(args.policy)
    else:
        policies = find_policies_dir(args.policies_dir)
        if args.environment in COMMAND_HELP and not any(
            (policies / f"{args.environment}{suffix}").exists() for suffix in (".yaml", ".yml")
        ):
            raise UsageError(
                f"'{args.environment}' is a command, and commands come first: write "
                f"'{args.environment} ...' before any option (no environment "
                f"'{args.environment}' in {policies} either)"
            )
        path = find_policy(args.environment, policies)
    extra: dict[str, str] = {}
    if args.tf_outputs:
        from infra_verify.iac.outputs import read_outputs

        extra = read_outputs(args.tf_outputs)
    # The environment the run asked for: the policy must say the same (else exit 2); without a
    # name (--policy FILE alone) the file's environment names the run but lifts no guard.
    policy = load_policy(
        path,
        extra=extra,
        environment=requested_environment(args.environment),
        allow_outside_policy_dir=args.allow_outside_policy_dir,
    )
    if args.show_policy:
        from infra_verify.policy.extends import show_policy

        shown = show_policy(
            path, extra=extra, allow_outside_policy_dir=args.allow_outside_policy_dir
        )
        _emit(shown, args.output, out)
        return EXIT_OK

    timeout = args.timeout
    options: dict[str, object] = {
        "allow_loopback": args.allow_loopback,
        "allow_loopback_settings": args.allow_loopback_settings,
        "allow_metadata": args.allow_metadata,
        "allow_credentials_to_custom_endpoints": args.allow_credentials_to_custom_endpoints,
        "project": args.project,
        "timeout": timeout,
    }
    if args.deadline is not None:
        options["deadline"] = args.deadline
    wait = args.wait
    if wait:
        options["wait"] = wait
    if args.concurrency is not None:
        if args.concurrency < 1:
            raise UsageError("--concurrency must be at least 1")
        options["concurrency"] = args.concurrency
    if args.workers is not None:
        from infra_verify.workers import parse_workers

        options["workers"] = parse_workers(args.workers)
    options["skip"] = _deselected(policy, args.only, args.skip)
    gate = Gate.from_policy(policy, **options)
    shard: Shard | None = None
    not_in_shard: set[str] = set()
    if args.shard:
        from infra_verify.shard import outside, parse_shard

        shard = parse_shard(args.shard, os.environ)
        not_in_shard = outside(gate.graph, shard) - gate.skip
        gate.skip = gate.skip | not_in_shard
    if args.list or args.graph:
        from infra_verify.reporters.listing import graph_tree, list_checks, list_json

        if args.format == "json":
            _emit(list_json(policy, gate), args.output, out)
        else:
            _emit(list_checks(policy, gate) if args.list else graph_tree(gate), args.output, out)
        return EXIT_OK
    color = use_color(args.color, out)
    if wait:
        from infra_verify.reporters.progress import progress_for

        live = stderr().isatty() and args.color != "never"
        progress = progress_for(
            terminal_stderr() if live else stderr(),
            wait,
            live=live,
            heartbeat=args.heartbeat,
            color=use_color(args.color, stderr()),
        )
        progress.attach(gate)
        with progress:
            run = _run(gate)
    else:
        run = _run(gate)
    if shard is not None:
        from infra_verify.shard import mark_not_in_shard

        run = mark_not_in_shard(run, not_in_shard, shard)
    _report(run, gate, args, out, color, path)
    return run.exit_code


def check_wait_and_deadline(wait: float | None, deadline: float | None) -> None:
    """A --deadline shorter than --wait is a usage error (it would cut the wait short silently)."""
    from infra_verify.durations import format_duration

    if wait and deadline is not None and deadline < wait:
        raise UsageError(
            f"--deadline {format_duration(deadline)} is shorter than --wait "
            f"{format_duration(wait)}: --wait bounds the waiting and --deadline the whole run; "
            "raise --deadline to at least the wait, or drop it"
        )


def _emit(text: str, output: str | None, out: TextIO) -> None:
    """Print ``text`` on stdout, or write it to ``--output FILE`` (``-``: stdout)."""
    if is_stdout(output):
        out.write(text)
        out.flush()
    else:
        assert output is not None
        write_file(output, text)


def requested_environment(argument: str | None) -> str | None:
    """The environment name the command line asked for; None when it gave a path instead."""
    if not argument or Path(argument).suffix in {".yaml", ".yml"} or os.sep in argument:
        return None
    return argument


def _run(gate: Gate) -> GateRun:
    import signal

    # SIGTERM (a CI runner cancelling the job) interrupts the run as Ctrl-C does: a report.
    return gate.run(cancel_on=(signal.SIGTERM,))


def _report(
    run: GateRun, gate: Gate, args: argparse.Namespace, out: TextIO, color: bool, path: Path
) -> None:
    from infra_verify.reporters import ReportOptions, render

    opts = ReportOptions(
        color=color,
        verbose=args.verbose,
        redactor=gate.context.redactor,
        title=f"{run.environment} · {path}",
    )
    plain = ReportOptions(verbose=args.verbose, redactor=gate.context.redactor, title=opts.title)
    for fmt, file in (
        ("json", args.json_file),
        ("junit", args.junit),
        ("sarif", args.sarif),
        ("markdown", args.markdown),
    ):
        if file:
            write_file(file, render(fmt, run, plain))
    github = args.github if args.github is not None else os.environ.get("GITHUB_ACTIONS") == "true"
    if github:
        stderr().write(render("github", run, plain))
    if not is_stdout(args.output):
        write_file(args.output, render(args.format, run, plain))
        return
    text = render(args.format, run, opts)
    if args.quiet and args.format == "text":
        text = text.rstrip("\n").rsplit("\n", 1)[-1] + "\n"
    out.write(text)
    out.flush()


def _deselected(policy: Policy, only: list[str], skip: list[str]) -> set[str]:
    def split(values: list[str]) -> set[str]:
        return {v.strip() for item in values for v in item.split(",") if v.strip()}

    only_set, skip_set = split(only), split(skip)
    known = {c.id for c in policy.checks} | {c.kind for c in policy.checks}
    unknown = sorted((only_set | skip_set) - known)
    if unknown:
        raise UsageError(f"--only/--skip: no check id or kind '{unknown[0]}' in {policy.path}")
    out = set()
    for c in policy.checks:
        if only_set and c.id not in only_set and c.kind not in only_set:
            out.add(c.id)
        if c.id in skip_set or c.kind in skip_set:
            out.add(c.id)
    return out
