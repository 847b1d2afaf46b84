"""Markdown: verdict headline, a table of checks, root causes with fixes, blocked/explained lists."""

from __future__ import annotations

import re
import unicodedata

import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token

from infra_verify.gate import GateRun
from infra_verify.model import Result, Status
from infra_verify.reporters import ReportOptions, render
from infra_verify.reporters.markdown import code_block, code_span, escape_text, is_command
from tests.reporters.runs import CERT_HINT, SQL_HINT, mixed_run, passing_run


def _section(text: str, heading: str) -> str:
    """The body of the ``### heading...`` section up to the next heading."""
    start = text.index(f"### {heading}")
    nxt = text.find("\n### ", start + 1)
    return text[start : nxt if nxt != -1 else len(text)]


def _unescaped_pipes(line: str) -> int:
    return len(re.findall(r"(?<!\\)\|", line))


def test_headline_and_verdict_failed() -> None:
    """A failed run opens with FAILED, the counts and the exit code."""
    md = render("markdown", mixed_run())
    lines = md.splitlines()
    assert lines[0] == "## infra\\_verify · staging: FAILED"
    assert lines[2] == (
        "**FAILED**: deployment NOT complete (1 pass, 2 fail, 1 error, 1 blocked, 1 skipped)"
        " in 2.5s · exit code 1"
    )


def test_headline_uses_the_title() -> None:
    """ReportOptions.title replaces the environment in the headline."""
    md = render("markdown", mixed_run(), ReportOptions(title="staging (build 42)"))
    assert md.splitlines()[0] == "## infra\\_verify · staging (build 42): FAILED"


def test_status_words_have_no_emoji() -> None:
    """The report uses status words only: no emoji or pictographic symbols anywhere."""
    md = render("markdown", mixed_run()) + render("markdown", passing_run())
    for ch in md:
        assert unicodedata.category(ch) != "So", repr(ch)
        assert ord(ch) < 0x2190 or ch in "—·", repr(ch)


def test_table_has_one_row_per_check() -> None:
    """The table lists status, id, kind and summary of every check in run order."""
    md = render("markdown", mixed_run())
    lines = md.splitlines()
    header = lines.index("| Status | Check | Kind | Summary |")
    assert lines[header + 1] == "| --- | --- | --- | --- |"
    rows = lines[header + 2 : header + 8]
    assert rows == [
        "| PASS | `dns-api` | dns | api.staging.example resolves to 34.54.41.44 |",
        "| FAIL | `cert` | tls | certificate SAN: expected api.staging.example, got "
        "\\*.other\\|example \\<none\\> |",
        "| ERROR | `sql` | postgres | no verdict within the 2s timeout |",
        "| BLOCKED | `health` | http | not run: blocked by `cert` |",
        "| FAIL (explained) | `ws` | websocket | TLS handshake failed: certificate verify failed |",
        "| SKIPPED | `env` | environment | deselected by --only/--skip |",
    ]
    assert lines[header + 8] == ""
    for row in rows:
        assert _unescaped_pipes(row) == 5, row


def test_pipes_newlines_and_html_cannot_break_a_row() -> None:
    """`|` in ids and summaries is escaped, newlines are folded and <tags> are inert."""
    run = GateRun(
        results=(Result("a|b", "http", Status.FAIL, "got <script>x</script>\n| col | x"),),
        environment="e",
    )
    md = render("markdown", run)
    row = next(line for line in md.splitlines() if line.startswith("| FAIL"))
    assert _unescaped_pipes(row) == 5
    assert "\\<script\\>" in row
    assert "`a\\|b`" in row


def test_root_causes_with_observations_and_command_hint_in_code_block() -> None:
    """Root causes list failing observations; a gcloud hint is a fenced sh block."""
    md = render("markdown", mixed_run())
    roots = _section(md, "Root causes (2)")
    assert "#### 1. `cert` (tls, FAIL)\n\ncertificate SAN" in roots
    assert (
        "- san: expected `api.staging.example`, got `*.other.example` at `34.54.41.44:443`" in roots
    )
    assert "issuer" not in roots  # passing observations are not repeated
    assert f"Fix:\n\n```sh\n{CERT_HINT}\n```" in roots
    assert "- Blocks: `health`" in roots
    assert "- Explains: `ws`" in roots
    assert "#### 2. `sql` (postgres, ERROR)\n\nno verdict within the 2s timeout" in roots
    assert f"Fix: {SQL_HINT}" in roots
    assert roots.index("`cert`") < roots.index("`sql`")


def test_explained_blocked_and_skipped_sections() -> None:
    """Explained failures, blocked checks and skipped checks each get their own list."""
    md = render("markdown", mixed_run())
    assert (
        "- `ws` (FAIL): TLS handshake failed: certificate verify failed; explained by `cert`"
        in (_section(md, "Explained by another failure (1)"))
    )
    assert "- `health`: not run: blocked by `cert`" in _section(md, "Blocked (1)")
    assert "- `env`: deselected by --only/--skip" in _section(md, "Skipped (1)")


def test_passing_run_has_no_problem_sections() -> None:
    """An all-pass run says PASSED and has only the table."""
    md = render("markdown", passing_run())
    assert md.splitlines()[0].endswith(": PASSED")
    assert "exit code 0" in md
    for heading in ("Root cause", "Blocked", "Explained", "Skipped"):
        assert f"### {heading}" not in md


def test_single_root_cause_heading_is_singular() -> None:
    """One root cause is headed "Root cause (1)"."""
    run = GateRun(results=(Result("a", "dns", Status.FAIL, "bad", hint="terraform apply"),))
    md = render("markdown", run)
    assert "### Root cause (1)" in md
    assert "```sh\nterraform apply\n```" in md


@pytest.mark.parametrize(
    ("hint", "expected"),
    [
        ("gcloud run services describe api", True),
        ("  terraform apply -target=google_dns_record_set.api", True),
        ("kubectl get pods", True),
        ("gcloudy things", False),
        ("run gcloud auth login", False),
        ("", False),
        (None, False),
    ],
)
def test_is_command(hint: str | None, expected: bool) -> None:
    """Only hints starting with the gcloud, terraform or kubectl command count as commands."""
    assert is_command(hint) is expected


def test_code_span_and_block_survive_backticks() -> None:
    """Backticks inside ids and hints cannot close their code span or fence early."""
    assert code_span("a`b") == "``a`b``"
    assert code_span("`x`") == "`` `x` ``"
    assert code_block("echo ```x```") == ["````sh", "echo ```x```", "````"]


def test_escape_text_neutralises_markup() -> None:
    """Emphasis, links and HTML in free text are backslash-escaped and newlines folded."""
    assert escape_text("*a* _b_ [c](d) <e>\nf") == "\\*a\\* \\_b\\_ \\[c\\](d) \\<e\\> f"


def _commonmark(md: str) -> list[Token]:
    """Tokens of a strict CommonMark parser (markdown-it-py), plus the GFM table extension."""
    return MarkdownIt("commonmark").enable("table").parse(md)


def test_command_hints_are_code_blocks_under_strict_commonmark() -> None:
    """Each command hint is a fenced sh block, also past nine root causes; none is inline code."""
    hints = [f"gcloud compute addresses describe lb-{i} --global" for i in range(12)]
    run = GateRun(
        results=tuple(
            Result(f"c{i}", "dns", Status.FAIL, "bad", hint=h) for i, h in enumerate(hints)
        ),
        environment="staging",
    )
    tokens = _commonmark(render("markdown", run))
    fences = [t for t in tokens if t.type == "fence"]
    assert [(t.info, t.content) for t in fences] == [("sh", h + "\n") for h in hints]
    inline_code = [c.content for t in tokens for c in t.children or [] if c.type == "code_inline"]
    assert not any(h in code for h in hints for code in inline_code)
    headings = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open"]
    assert "12. `c11` (dns, FAIL)" in headings


def test_mixed_run_renders_as_a_table_and_sections_under_strict_commonmark() -> None:
    """The table is a table, the root causes are headings, and no raw HTML gets through."""
    tokens = _commonmark(render("markdown", mixed_run()))
    assert sum(t.type == "tr_open" for t in tokens) == 7  # header + 6 checks
    assert not [t for t in tokens if t.type in ("html_block", "html_inline")]
    assert [t.content for t in tokens if t.type == "fence"] == [CERT_HINT + "\n"]


def _cells(tokens: list[Token]) -> list[list[str]]:
    rows: list[list[str]] = []
    for i, t in enumerate(tokens):
        if t.type == "tr_open":
            rows.append([])
        elif t.type in ("td_open", "th_open"):
            rows[-1].append(tokens[i + 1].content)
    return rows


def test_table_and_lists_name_the_same_blockers() -> None:
    """A chained BLOCKED check names its root causes alike in the table, the Blocked list and
    under each root cause it shares (not the direct dependency its summary names)."""
    run = GateRun(
        results=(
            Result("a", "dns", Status.FAIL, "no record"),
            Result("x", "tls", Status.FAIL, "wrong SAN"),
            Result("b", "http", Status.BLOCKED, "blocked by a", after=("a",), blocked_by=("a",)),
            Result(
                "c",
                "http",
                Status.BLOCKED,
                "blocked by b, x",
                after=("b", "x"),
                blocked_by=("a", "x"),
            ),
        ),
        environment="staging",
    )
    md = render("markdown", run)
    rows = {r[1]: r[3] for r in _cells(_commonmark(md))[1:]}
    assert rows["`c`"] == "not run: blocked by `a`, `x`"
    assert rows["`b`"] == "not run: blocked by `a`"
    blocked = _section(md, "Blocked (2)")
    assert "- `c`: not run: blocked by `a`, `x`" in blocked
    roots = _section(md, "Root causes (2)")
    first, second = roots.split("#### 2.")
    assert "- Blocks: `b`, `c`" in first
    assert "- Blocks: `c`" in second
