"""``infra-verify completion bash|zsh``: the shell completion script, made from the parsers.

The script completes commands, each command's flags, the values of ``--format`` and ``--color``,
file and directory arguments, kind names for ``kinds``, and environment names for ``run`` and
``plan``: those it asks ``infra-verify completion environments`` for at completion time, so
they come from the policies directory as the run would find it (``--policies-dir`` on the line,
``INFRA_VERIFY_POLICIES``, or found upward from the current directory).

    eval "$(infra-verify completion bash)"        # ~/.bashrc
    eval "$(infra-verify completion zsh)"         # ~/.zshrc (zsh's bash-completion layer)
"""

from __future__ import annotations

import argparse
import shlex
from collections.abc import Sequence
from typing import TextIO

from infra_verify.cli.common import FORMATS, OneLineParser, run_command

SHELLS = ("bash", "zsh")

FILE_FLAGS = (
    "--policy",
    "--output",
    "--json",
    "--junit",
    "--sarif",
    "--markdown",
    "--tf-outputs",
    "--plan",
)
DIR_FLAGS = ("--policies-dir", "--tf-dir")


def build_parser(prog: str = "python -m infra_verify completion") -> argparse.ArgumentParser:
    """The argument parser of the ``completion`` command."""
    p = OneLineParser(
        label="infra_verify completion",
        prog=prog,
        description=(
            "Print the shell completion script (bash or zsh); 'environments' lists the "
            "environment names the script offers."
        ),
        epilog=(
            'bash: eval "$(infra-verify completion bash)" in ~/.bashrc; zsh: eval '
            '"$(infra-verify completion zsh)" in ~/.zshrc. exit codes: 0 printed; 2 usage'
        ),
    )
    p.add_argument("shell", choices=(*SHELLS, "environments"), help="bash, zsh or environments")
    p.add_argument(
        "--policies-dir", metavar="DIR", help="with 'environments': the policies directory"
    )
    return p


def completion_main(
    argv: Sequence[str],
    *,
    stdout: TextIO | None = None,
    prog: str = "python -m infra_verify completion",
) -> int:
    """Print the completion script, or the environment names; returns the exit code."""

    def body(args: argparse.Namespace, out: TextIO) -> int:
        if args.shell == "environments":
            from infra_verify.cli.locate import environment_names, find_policies_dir

            names = environment_names(find_policies_dir(args.policies_dir))
            out.write("".join(f"{name}\n" for name in names))
        else:
            out.write(script(args.shell))
        out.flush()
        return 0

    return run_command("infra_verify completion", build_parser(prog), body, argv, stdout)


def _flags(parser: argparse.ArgumentParser) -> list[str]:
    return [o for a in parser._actions for o in a.option_strings]


def _valued(parser: argparse.ArgumentParser) -> list[str]:
    return [o for a in parser._actions if a.nargs != 0 for o in a.option_strings]


def command_flags() -> dict[str, tuple[list[str], list[str]]]:
    """Each command's flags and, among them, those that take a value."""
    from infra_verify.cli import init, kinds, merge, plan, run

    parsers = {
        "run": run.build_parser(),
        "plan": plan.build_parser(),
        "init": init.build_parser(),
        "kinds": kinds.build_parser(),
        "merge": merge.build_parser(),
        "completion": build_parser(),
    }
    return {name: (_flags(p), _valued(p)) for name, p in parsers.items()}


def script(shell: str) -> str:
    """The completion script for bash, or for zsh (which loads it through bashcompinit)."""
    from infra_verify.checks.registry import kind_names
    from infra_verify.cli.main import SUBCOMMANDS

    flags = command_flags()
    q = shlex.quote
    cases = "\n".join(
        f"        {name}) flags={q(' '.join(names))}; valued={q(' '.join(valued))} ;;"
        for name, (names, valued) in flags.items()
    )
    body = _BASH.format(
        commands=q(" ".join(SUBCOMMANDS)),
        cases=cases,
        formats=q(" ".join(FORMATS)),
        kinds=q(" ".join(sorted(kind_names()))),
        shells=q(" ".join((*SHELLS, "environments"))),
        files="|".join(FILE_FLAGS),
        dirs="|".join(DIR_FLAGS),
    )
    if shell == "zsh":
        return _ZSH_HEAD + body
    return body


_ZSH_HEAD = """\
# zsh completion for infra-verify: eval "$(infra-verify completion zsh)" in ~/.zshrc
(( $+functions[compdef] )) || { autoload -U +X compinit && compinit -u; }
(( $+functions[complete] )) || { autoload -U +X bashcompinit && bashcompinit; }
"""

_BASH = """\
# bash completion for infra-verify: eval "$(infra-verify completion bash)" in ~/.bashrc
_infra_verify() {{
    local cur prev cmd i start flags valued dir
    cur="${{COMP_WORDS[COMP_CWORD]}}"
    prev=""
    (( COMP_CWORD > 0 )) && prev="${{COMP_WORDS[COMP_CWORD-1]}}"
    COMPREPLY=()
    cmd=run
    start=1
    case " "{commands}" " in
        *" ${{COMP_WORDS[1]}} "*) if (( COMP_CWORD > 1 )); then cmd="${{COMP_WORDS[1]}}"; start=2; fi ;;
    esac
    case "$cmd" in
{cases}
    esac
    case "$prev" in
        --format) COMPREPLY=( $(compgen -W {formats} -- "$cur") ); return 0 ;;
        --color) COMPREPLY=( $(compgen -W "auto always never" -- "$cur") ); return 0 ;;
        {files}) COMPREPLY=( $(compgen -f -- "$cur") ); return 0 ;;
        {dirs}) COMPREPLY=( $(compgen -d -- "$cur") ); return 0 ;;
    esac
    if [[ -n "$prev" && " $valued " == *" $prev "* ]]; then
        return 0
    fi
    if [[ "$cur" == -* ]]; then
        COMPREPLY=( $(compgen -W "$flags" -- "$cur") )
        return 0
    fi
    case "$cmd" in
        run|plan)
            dir=""
            for (( i = start; i < COMP_CWORD; i++ )); do
                if [[ "${{COMP_WORDS[i]}}" == --policies-dir ]]; then dir="${{COMP_WORDS[i+1]}}"; fi
            done
            local envs
            if [[ -n "$dir" ]]; then
                envs="$("${{COMP_WORDS[0]}}" completion environments --policies-dir "$dir" 2>/dev/null)"
            else
                envs="$("${{COMP_WORDS[0]}}" completion environments 2>/dev/null)"
            fi
            if (( COMP_CWORD == 1 )); then envs="$envs "{commands}; fi
            COMPREPLY=( $(compgen -W "$envs" -- "$cur") )
            ;;
        kinds) COMPREPLY=( $(compgen -W {kinds} -- "$cur") ) ;;
        completion) COMPREPLY=( $(compgen -W {shells} -- "$cur") ) ;;
    esac
    return 0
}}
complete -F _infra_verify infra-verify
"""
