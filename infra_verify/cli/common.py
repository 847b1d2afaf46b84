"""Pieces every command shares: one-line usage errors, the exit-code contract, safe streams.

Exit codes: 0 the deployment (or plan) is complete, 1 it is not, 2 bad input or usage (an
unwritable report included), 3 internal error (an exception escaped infra_verify: a bug).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO, cast

from infra_verify.errors import UsageError

EXIT_OK, EXIT_INCOMPLETE, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3

EXIT_CODES = (
    "exit codes: 0 deployment complete; 1 not complete (a check failed, errored or is blocked, "
    "or the run was interrupted); 2 bad input or usage (a malformed policy, a bad flag, an "
    "unreadable file, a report that cannot be written, stdout included); 3 internal error "
    "(infra_verify itself crashed: a bug, please report it)"
)
"""The ``--help`` epilog of every command (README's "Exit codes" says the same)."""


COMMAND_HELP: dict[str, str] = {
    "run": "run the gate over an environment's policy (the default command)",
    "plan": "check a Terraform plan against the policy, before apply",
    "init": "write a starter policy from a live load balancer",
    "kinds": "list the check kinds with their policy keys",
    "merge": "combine the JSON reports of --shard runs into one verdict",
    "completion": "print the bash or zsh completion script",
}
"""The commands, in ``--help`` order (``main.SUBCOMMANDS`` maps them to their functions)."""


class OutputError(UsageError):
    """The report could not be written where the run was told to write it (exit 2)."""


def err(text: str) -> None:
    """Write to stderr; a closed, full or broken stderr is ignored (the exit code still tells)."""
    with contextlib.suppress(AttributeError, OSError, ValueError):
        sys.stderr.write(text)
        sys.stderr.flush()


class _Stderr:
    """``sys.stderr`` as a stream that never raises (for progress lines and annotations).

    Bound to one stream object when given one (see ``terminal_stderr``); otherwise it follows
    whatever ``sys.stderr`` is at each write.
    """

    def __init__(self, target: TextIO | None = None) -> None:
        self._target = target

    def _stream(self) -> TextIO:
        return self._target if self._target is not None else sys.stderr

    def write(self, text: str) -> int:
        with contextlib.suppress(AttributeError, OSError, ValueError):
            stream = self._stream()
            stream.write(text)
            stream.flush()
        return len(text)

    def flush(self) -> None:
        with contextlib.suppress(AttributeError, OSError, ValueError):
            self._stream().flush()

    def isatty(self) -> bool:
        try:
            return bool(self._stream().isatty())
        except (AttributeError, OSError, ValueError):
            return False

    def fileno(self) -> int:
        return self._stream().fileno()


def stderr() -> TextIO:
    """A stderr that drops text when the real one is closed or unwritable."""
    return cast(TextIO, _Stderr())


def terminal_stderr() -> TextIO:
    """The stderr of this moment, bound to it: the stream for rich's live display."""
    # Live replaces sys.stderr with a proxy that writes to its console; a console writing to
    # "whatever sys.stderr is now" would write into that proxy, which waits for the console's
    # lock held by the refresh thread: the display hung.
    return cast(TextIO, _Stderr(sys.stderr))


class ReportStream:
    """The stream a command prints its report on (stdout): a write or flush that fails (stdout
    closed, a broken pipe, a full disk) raises OutputError once, exit 2, and later output is
    dropped, so that neither this command nor the interpreter's exit prints a traceback."""

    def __init__(self, stream: TextIO | None, name: str = "stdout") -> None:
        self._stream = stream
        self._name = name
        self.failed = False

    def _fail(self, exc: BaseException | None) -> OutputError:
        self.failed = True
        _silence(self._stream)
        if exc is None or isinstance(exc, AttributeError):
            return OutputError(f"cannot write the report: {self._name} is closed")
        reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        return OutputError(f"cannot write the report to {self._name}: {reason}")

    def write(self, text: str) -> int:
        if self.failed:
            return len(text)
        if self._stream is None:
            raise self._fail(None)
        try:
            return self._stream.write(text)
        except (OSError, ValueError, AttributeError) as exc:
            raise self._fail(exc) from None

    def flush(self) -> None:
        if self.failed:
            return
        if self._stream is None:
            return
        try:
            self._stream.flush()
        except (OSError, ValueError, AttributeError) as exc:
            raise self._fail(exc) from None

    def isatty(self) -> bool:
        try:
            return self._stream is not None and bool(self._stream.isatty())
        except (OSError, ValueError, AttributeError):
            return False

    def __getattr__(self, name: str) -> object:
        return getattr(self._stream, name)


def _silence(stream: TextIO | None) -> None:
    """Point a failed OS-level stream at /dev/null, so that the interpreter's final flush of
    what is still buffered does not fail again (and print "Exception ignored ...")."""
    try:
        fd = stream.fileno() if stream is not None else -1
    except (AttributeError, OSError, ValueError):
        return
    if fd < 0:
        return
    with contextlib.suppress(OSError):
        null = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(null, fd)
        finally:
            os.close(null)


class ParagraphFormatter(argparse.HelpFormatter):
    """Help text that keeps indented lines (a table of commands) and wraps the others."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        import textwrap

        lines = [
            indent + line
            if line.startswith(" ") or not line
            else textwrap.fill(
                " ".join(line.split()),
                width,
                initial_indent=indent,
                subsequent_indent=indent,
                break_on_hyphens=False,
            )
            for line in text.splitlines()
        ]
        return "\n".join(lines)


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line on stderr and exit 2."""

    def __init__(self, *args: object, label: str = "infra_verify", **kwargs: object) -> None:
        kwargs.setdefault("epilog", EXIT_CODES)
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.label = label

    def _print_message(self, message: str, file: object = None) -> None:
        """--help and --version on stdout fail like a report (exit 2), never silently with 0.

        argparse itself drops an OSError here, so ``--help > /dev/full`` would exit 0 with
        nothing written; stderr (usage errors) stays best-effort. ``file`` is None only when
        stdout is closed (argparse passes ``sys.stdout``).
        """
        if not message:
            return
        if file is sys.stderr or isinstance(file, _Stderr):
            err(message)
            return
        stream = ReportStream(cast(TextIO | None, file))
        stream.write(message)
        stream.flush()

    def error(self, message: str) -> None:  # type: ignore[override]
        """Usage errors: one line, exit 2."""
        self.print_usage(stderr())
        err(f"{self.label}: error: {message} (see --help)\n")
        raise SystemExit(EXIT_USAGE)


def run_command(
    label: str,
    parser: argparse.ArgumentParser,
    body: Callable[[argparse.Namespace, TextIO], int],
    argv: Sequence[str],
    stdout: TextIO | None,
) -> int:
    """Parse ``argv`` and run ``body``; usage errors and UsageError become one line and exit 2."""
    out = stdout or sys.stdout
    try:
        args = parser.parse_args(list(argv))
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    try:
        return body(args, out)
    except UsageError as exc:
        err(f"{label}: error: {exc}\n")
        return EXIT_USAGE


def write_file(file: str | Path, text: str) -> None:
    """Write a report or policy file, creating its folder; failure is a UsageError naming it."""
    try:
        Path(file).parent.mkdir(parents=True, exist_ok=True)
        Path(file).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {file}: {exc.strerror}") from None


FORMATS = ("text", "json", "junit", "sarif", "markdown", "github")
"""The report formats every ``--format`` takes (``reporters.REPORTERS`` holds the same names)."""

FORMAT_HELP = "report format: " + ", ".join(FORMATS) + " (default text)"

DURATION_HELP = "a duration: 500ms, 10s, 2m, 1h30m; a bare number means seconds"


def duration(text: str) -> float:
    """An argparse ``type`` for every duration flag: ``10s``, ``2m``, ``1h30m``, or seconds."""
    from infra_verify.durations import parse_duration

    try:
        return parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def use_color(choice: str, stream: TextIO, env: dict[str, str] | None = None) -> bool:
    """Whether to color: ``--color always|never``, else NO_COLOR, else FORCE_COLOR, else a TTY."""
    # NO_COLOR (no-color.org) and FORCE_COLOR (force-color.org) count when set and not empty;
    # when both are set, NO_COLOR wins.
    if choice != "auto":
        return choice == "always"
    environ = os.environ if env is None else env
    if environ.get("NO_COLOR"):
        return False
    if environ.get("FORCE_COLOR"):
        return True
    try:
        return bool(stream.isatty())
    except (AttributeError, OSError, ValueError):
        return False


def is_stdout(output: str | None) -> bool:
    """``--output -`` (or no ``--output``) means stdout."""
    return output is None or output == "-"
