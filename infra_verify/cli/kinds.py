"""``python -m infra_verify kinds``: the reference of every check kind, from the schema itself.

Lists built-in kinds, bundle kinds and plugin kinds with their keys, types, defaults and
descriptions, read from the same pydantic models that validate policies, so the reference
cannot drift from what a policy accepts. ``infra_verify.policy.reference`` reads the schemas (and
renders docs/policy-reference.md from the same reading); this module parses arguments and formats::

    python -m infra_verify kinds                 every kind
    python -m infra_verify kinds dns http        just these
    python -m infra_verify kinds --format json   machine-readable
"""

from __future__ import annotations

import argparse
import json
from typing import TextIO

from infra_verify.checks.registry import kind_names, plugins
from infra_verify.cli.common import OneLineParser, err, is_stdout, write_file
from infra_verify.errors import UsageError
from infra_verify.policy.reference import COMMON_KEYS, KindDoc, all_kinds, kind_doc


def render_text(docs: list[KindDoc], *, common: bool = False) -> str:
    """The reference as plain text: one block per kind, one line per key."""
    lines: list[str] = []
    for doc in docs:
        lines.append(f"{doc.name}  [{doc.source}]")
        if doc.description:
            lines.append(f"  {doc.description}")
        keys = [k for k in doc.keys if common or k.key not in COMMON_KEYS]
        width = max((len(k.key) for k in keys), default=4)
        twidth = min(28, max((len(k.type) for k in keys), default=4))
        for k in keys:
            default = "required" if k.required else f"default {json.dumps(k.default)}"
            lines.append(f"    {k.key:<{width}}  {k.type:<{twidth}}  {default}  {k.description}")
        lines.append("")
    if not common and docs:
        lines.append(
            "every check kind also takes: after, timeout, poll, poll_max, description "
            "(--common shows them)"
        )
    return "\n".join(lines).rstrip("\n") + "\n"


def render_json(docs: list[KindDoc]) -> str:
    """The reference as JSON: ``{"kinds": [{name, source, description, keys: [...]}]}``."""
    data = {
        "kinds": [
            {
                "name": d.name,
                "source": d.source,
                "description": d.description,
                "keys": [k.__dict__ for k in d.keys],
            }
            for d in docs
        ],
        "plugin_errors": dict(plugins().errors),
    }
    return json.dumps(data, indent=2, default=str) + "\n"


def build_parser(prog: str = "python -m infra_verify kinds") -> argparse.ArgumentParser:
    """The argument parser of the ``kinds`` command."""
    parser = OneLineParser(
        label="infra_verify kinds",
        prog=prog,
        description="List the check kinds (built-in, bundles, plugins) with their policy keys.",
        epilog="exit codes: 0 listed; 2 an unknown kind name or a bad flag; 3 internal error",
    )
    parser.add_argument("names", nargs="*", metavar="KIND", help="only these kinds")
    parser.add_argument(
        "--format", choices=["text", "json"], default="text", help="text or json (default text)"
    )
    parser.add_argument(
        "--output",
        metavar="FILE",
        help="write the reference to FILE instead of stdout (then stdout stays empty); '-': stdout",
    )
    parser.add_argument("--common", action="store_true", help="also show the keys every kind has")
    return parser


def kinds_main(
    argv: list[str], *, stdout: TextIO, prog: str = "python -m infra_verify kinds"
) -> int:
    """List check kinds with their keys; exit 2 for an unknown kind name."""
    args = build_parser(prog).parse_args(argv)
    if args.names:
        docs = []
        for name in args.names:
            doc = kind_doc(name)
            if doc is None:
                import difflib

                close = difflib.get_close_matches(name, kind_names(), n=1)
                why = plugins().errors.get(name)
                hint = why or (f"did you mean '{close[0]}'?" if close else "see: kinds")
                raise UsageError(f"kinds: unknown kind '{name}' ({hint})")
            docs.append(doc)
    else:
        docs = all_kinds()
    text = render_json(docs) if args.format == "json" else render_text(docs, common=args.common)
    if is_stdout(args.output):
        stdout.write(text)
    else:
        write_file(args.output, text)
    for name, error in sorted(plugins().errors.items()):
        err(f"infra_verify: warning: plugin kind '{name}' not loaded: {error}\n")
    return 0
