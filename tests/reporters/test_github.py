"""GitHub Actions annotations: ::error per root cause, ::warning otherwise, ::notice verdict last."""

from __future__ import annotations

import re

from infra_verify.gate import GateRun
from infra_verify.model import Observation, Result, Status
from infra_verify.reporters import ReportOptions, render
from infra_verify.reporters.github import command, escape_data, escape_property
from tests.reporters.runs import CERT_HINT, SQL_HINT, mixed_run, passing_run

COMMAND_LINE = re.compile(
    r"::(error|warning|notice)( [a-z]+=[^,:\r\n]*(,[a-z]+=[^,:\r\n]*)*)?::[^\r\n]*"
)


def test_mixed_run_annotations_in_order() -> None:
    """Errors for root causes, warnings for blocked/explained checks, then one notice."""
    lines = render("github", mixed_run()).splitlines()
    assert lines == [
        f"::error title=cert::certificate SAN: expected api.staging.example, got *.other|example"
        f" <none> — {CERT_HINT}%0Asan: expected api.staging.example, got *.other.example"
        " @ 34.54.41.44:443%0Afailed for good: waiting cannot fix it%0Ablocks: health",
        f"::error title=sql::no verdict within the 2s timeout — {SQL_HINT}",
        "::warning title=health::not run: blocked by cert; fix that first",
        "::warning title=ws::TLS handshake failed: certificate verify failed — explained by cert;"
        " fix that first",
        "::warning title=ws::server sent no Sec-WebSocket-Protocol",
        "::notice title=infra_verify staging::FAILED: deployment NOT complete (1 pass, 2 fail,"
        " 1 error, 1 blocked, 1 skipped) in 2.5s",
    ]
    for line in lines:
        assert COMMAND_LINE.fullmatch(line), line


def test_passing_run_is_one_notice() -> None:
    """An all-pass run prints only the PASSED notice."""
    assert render("github", passing_run()) == (
        "::notice title=infra_verify staging::PASSED: deployment complete (2 pass) in 50ms\n"
    )


def test_title_option_names_the_notice() -> None:
    """ReportOptions.title replaces the environment in the notice title (escaped)."""
    out = render("github", passing_run(), ReportOptions(title="staging: eu, us"))
    assert out.startswith("::notice title=infra_verify staging%3A eu%2C us::PASSED")


def test_escape_rules() -> None:
    """Messages escape % CR LF; properties also escape : and , (GitHub toolkit rules)."""
    assert escape_data("100% done\r\nnext") == "100%25 done%0D%0Anext"
    assert escape_data("a:b,c") == "a:b,c"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    assert command("error", "x", title="t:1") == "::error title=t%3A1::x"
    assert command("notice", "only a message") == "::notice::only a message"


def test_probe_text_cannot_inject_workflow_commands() -> None:
    """Newlines and :: in a summary or id stay inside one escaped annotation line."""
    run = GateRun(
        results=(
            Result(
                "evil,id:x",
                "http",
                Status.FAIL,
                "body was\n::add-mask::oops\r\n::stop-commands::abc 50%",
                observations=(Observation("body", "ok", "line1\nline2", False),),
                hint="retry",
            ),
        ),
        environment="e",
    )
    lines = render("github", run).splitlines()
    assert len(lines) == 2
    assert lines[0] == (
        "::error title=evil%2Cid%3Ax::body was%0A::add-mask::oops%0D%0A::stop-commands::abc 50%25"
        " — retry%0Abody: expected ok, got line1%0Aline2"
    )
    assert lines[1].startswith("::notice title=infra_verify e::FAILED")
    for line in lines:
        assert COMMAND_LINE.fullmatch(line), line


def test_error_root_cause_is_an_error_annotation() -> None:
    """An ERROR (could not decide) root cause is an ::error too, not a warning."""
    run = GateRun(results=(Result("db", "postgres", Status.ERROR, "timed out"),), environment="e")
    lines = render("github", run).splitlines()
    assert lines[0] == "::error title=db::timed out"
