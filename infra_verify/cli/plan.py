"""``python -m infra_verify plan``: verify a Terraform plan before apply.

    python -m infra_verify plan staging --plan plan.json [--tf-outputs outputs.json] [--tf-dir infra/]

Exit codes as for the live gate: 0 the plan declares what the policy expects and breaks no rule,
1 findings, 2 bad input (a missing or malformed plan, a bad policy), 3 internal error.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from infra_verify.cli.common import (
    FORMAT_HELP,
    FORMATS,
    OneLineParser,
    err,
    is_stdout,
    run_command,
    write_file,
)
from infra_verify.errors import UsageError


def build_parser(prog: str = "python -m infra_verify plan") -> argparse.ArgumentParser:
    """The argument parser of the ``plan`` command."""
    from infra_verify.cli.run import POLICIES_DIR_HELP

    p = OneLineParser(
        label="infra_verify plan",
        prog=prog,
        description="Verify that a Terraform plan declares what the policy expects, "
        "and check the built-in rules (IV001 DNS records for certificate domains, ...).",
        epilog=(
            "exit codes: 0 ok; 1 findings; 2 bad input or usage (a report that cannot be "
            "written included); 3 internal error (infra_verify itself crashed: a bug)"
        ),
    )
    p.add_argument(
        "environment", nargs="?", help="environment name; reads policies/<environment>.yaml"
    )
    p.add_argument("--plan", required=True, metavar="FILE", help="terraform show -json output")
    p.add_argument(
        "--policy", metavar="FILE", help="policy file (overrides the environment's path)"
    )
    p.add_argument("--policies-dir", metavar="DIR", help=POLICIES_DIR_HELP)
    p.add_argument(
        "--tf-outputs",
        metavar="FILE",
        help="terraform output -json, for ${tf.output.NAME} in the policy",
    )
    p.add_argument(
        "--allow-outside-policy-dir",
        action="store_true",
        help="allow extends:, dotenv: and ca_bundle: files outside the policy's directory",
    )
    p.add_argument("--tf-dir", metavar="DIR", help="the Terraform root module, to name file:line")
    p.add_argument("--format", default="text", choices=FORMATS, metavar="FORMAT", help=FORMAT_HELP)
    p.add_argument(
        "--output",
        metavar="FILE",
        help="write the report to FILE instead of stdout (then stdout stays empty); '-': stdout",
    )
    p.add_argument(
        "-v", "--verbose", action="count", default=0, help="show passing observations too"
    )
    return p


def plan_main(
    argv: Sequence[str], *, stdout: TextIO | None = None, prog: str = "python -m infra_verify plan"
) -> int:
    """Run the plan command; returns the exit code."""
    return run_command("infra_verify plan", build_parser(prog), _main, argv, stdout)


def _main(args: argparse.Namespace, out: TextIO) -> int:
    from infra_verify.cli.locate import find_policies_dir
    from infra_verify.iac.outputs import plan_outputs, read_outputs, sensitive_outputs
    from infra_verify.iac.plan import load_plan
    from infra_verify.iac.settings import PlanSettings, load_plan_policy
    from infra_verify.iac.verify import verify_plan
    from infra_verify.policy.load import find_policy
    from infra_verify.redact import Redactor
    from infra_verify.reporters import ReportOptions, render

    plan = load_plan(args.plan)
    extra = plan_outputs(plan)
    redactor = Redactor()
    if args.tf_outputs:
        extra.update(read_outputs(args.tf_outputs))
        for secret in sensitive_outputs(args.tf_outputs):
            redactor.add(secret)
    policy = None
    settings = PlanSettings()
    path: Path | None = None
    if args.policy or args.environment:
        path = (
            Path(args.policy)
            if args.policy
            else find_policy(args.environment, find_policies_dir(args.policies_dir))
        )
        policy, settings = load_plan_policy(
            path, extra=extra, allow_outside_policy_dir=args.allow_outside_policy_dir
        )
        for secret in policy.secrets:  # registered at load, as for the live gate
            redactor.add(secret)
        if args.environment and args.policy and args.environment != policy.environment:
            raise UsageError(
                f"--policy {path} is for environment '{policy.environment}', not '{args.environment}'"
            )
    if args.tf_dir and not Path(args.tf_dir).is_dir():
        raise UsageError(f"--tf-dir {args.tf_dir}: not a directory")
    run = verify_plan(plan, policy, disabled=settings.disable, tf_dir=args.tf_dir)
    title = f"plan {args.plan}" + (f" · {path}" if path else "")
    opts = ReportOptions(
        verbose=args.verbose, redactor=redactor, title=f"{run.environment} · {title}"
    )
    text = render(args.format, run, opts)
    if is_stdout(args.output):
        out.write(text)
    else:
        write_file(args.output, text)
    for warning in run.warnings:
        err(f"infra_verify plan: note: {warning}\n")
    out.flush()
    return run.exit_code
