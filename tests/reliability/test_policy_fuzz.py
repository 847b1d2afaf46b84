"""Bad input: the policy loader, fuzzed, either returns a Policy or raises one clean PolicyError.

tests/test_policy.py already pins single cases (a directory, chmod 000, non-UTF-8, one alias
bomb, a python tag). Here hypothesis throws random text, bytes, YAML documents, deep nesting and
huge values at ``load_policy``; the CLI gets a few nasty files in a subprocess; a policy is read
by an unprivileged user; aliases bombs come in more shapes; and ``${VAR}`` values with
YAML-significant characters must land verbatim in the check.
"""

from __future__ import annotations

import os
import string
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infra_verify.checks.http import Http
from infra_verify.checks.registry import kind_names
from infra_verify.errors import PolicyError
from infra_verify.policy.load import Policy, load_policy

from .conftest import run_cli

FUZZ = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

KINDS = kind_names()
KEYS = [
    "environment",
    "checks",
    "defaults",
    "gcp",
    "description",
    "kind",
    "name",
    "url",
    "host",
    "port",
    "expect",
    "after",
    "timeout",
    "deadline",
    "resolvers",
    "status",
    "endpoints",
    "credentials",
    "project",
]


@pytest.fixture(scope="module")
def scratch() -> Iterator[Path]:
    """One scratch directory for the whole module (hypothesis reruns a test many times)."""
    with tempfile.TemporaryDirectory() as tmp:
        yield Path(tmp)


def outcome(path: Path, env: dict[str, str] | None = None) -> Policy | PolicyError:
    """Load ``path``; a PolicyError must be one line naming the file; anything else fails."""
    try:
        return load_policy(path, env=env or {})
    except PolicyError as err:
        text = str(err)
        assert text.splitlines() == [text], f"not one line: {text!r}"
        assert str(path) in text, text
        return err


def load_text(scratch: Path, text: str, env: dict[str, str] | None = None) -> Policy | PolicyError:
    """Write ``text`` as UTF-8 and load it."""
    path = scratch / "fuzz.yaml"
    path.write_text(text, encoding="utf-8")
    return outcome(path, env)


_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=400)
_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    _text,
    st.sampled_from(["${HOME}", "${NOPE}", "${X:-d}", "$$", "1m", "10s", "-1s", "127.0.0.1"]),
)
_keys: st.SearchStrategy[Any] = st.one_of(st.sampled_from(KEYS), _text, st.integers())
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=5), st.dictionaries(_keys, inner, max_size=5)),
    max_leaves=30,
)


@FUZZ
@given(text=_text)
def test_random_text_is_a_policy_or_one_clean_error(scratch: Path, text: str) -> None:
    """Any Unicode text: a Policy or a one-line PolicyError naming the file, never a crash."""
    load_text(scratch, text)


@FUZZ
@given(data=st.binary(max_size=600))
def test_random_bytes_are_a_policy_or_one_clean_error(scratch: Path, data: bytes) -> None:
    """Any bytes, non-UTF-8 included: a Policy or a one-line PolicyError, never a crash."""
    path = scratch / "fuzz.yaml"
    path.write_bytes(data)
    outcome(path)


@FUZZ
@given(doc=_values)
def test_random_yaml_documents_are_a_policy_or_one_clean_error(scratch: Path, doc: Any) -> None:
    """Random YAML trees of random keys and values: a Policy or one clean PolicyError."""
    load_text(scratch, yaml.safe_dump(doc, allow_unicode=True))


@st.composite
def _policies(draw: st.DrawFn) -> dict[str, Any]:
    """Policies shaped like real ones, with real kinds and real-looking but random keys."""
    kinds = KINDS
    checks = {}
    for _ in range(draw(st.integers(0, 4))):
        cid = draw(st.one_of(st.sampled_from(["a", "b", "dns-api", "health"]), _text))
        spec = {"kind": draw(st.one_of(st.sampled_from(kinds), _text))}
        spec.update(draw(st.dictionaries(_keys, _values, max_size=4)))
        checks[cid] = spec
    doc: dict[str, Any] = {"environment": draw(_scalars), "checks": checks}
    if draw(st.booleans()):
        doc["defaults"] = draw(st.dictionaries(_keys, _scalars, max_size=3))
    if draw(st.booleans()):
        doc["gcp"] = draw(st.dictionaries(_keys, _values, max_size=3))
    return doc


@FUZZ
@given(doc=_policies())
def test_policy_shaped_documents_are_a_policy_or_one_clean_error(
    scratch: Path, doc: dict[str, Any]
) -> None:
    """Documents with real kinds and random check keys: a Policy or one clean PolicyError."""
    load_text(scratch, yaml.safe_dump(doc, allow_unicode=True))


@pytest.mark.parametrize("depth", [65, 1500, 20_000])
@pytest.mark.parametrize("style", ["flow-list", "flow-map", "block"])
def test_deep_nesting_is_a_clean_error(scratch: Path, depth: int, style: str) -> None:
    """Nesting 65 to 20,000 levels deep is one clean PolicyError (no RecursionError), not a hang
    (pytest-timeout's 120 s guard): the error names the nesting limit that refused it.

    Deterministic rather than hypothesis-driven: PyYAML's scanner is quadratic in flow depth, so
    each deep example costs a second or two; the recursion limit bounds it. 20,000 levels of
    flow lists cost the same as 1,500, which shows that bound.
    """
    if style == "flow-list":
        text = "environment: x\nchecks: {a: {kind: dns, name: a, expect: " + "[" * depth
        text += "]" * depth + "}}\n"
    elif style == "flow-map":
        text = "environment: x\nchecks: " + "{a: " * depth + "1" + "}" * depth + "\n"
    else:
        text = "environment: x\nchecks:\n" + "".join(
            " " * (i + 1) + f"k{i}:\n" for i in range(min(depth, 1500))
        )
    result = load_text(scratch, text)
    assert isinstance(result, PolicyError)
    assert "nest" in str(result)  # our limit, PyYAML's recursion or libyaml's depth limit


@pytest.mark.parametrize("size", [1_500_000, 2_500_000])
@pytest.mark.parametrize("where", ["value", "key", "comment"])
def test_huge_strings_are_a_policy_or_one_clean_error(scratch: Path, size: int, where: str) -> None:
    """Megabyte values, keys and comments: loaded or refused in one line (no hang: the 120 s
    guard), never echoing the megabyte back."""
    big = "x" * size
    text = {
        "value": f"environment: {big}\nchecks: {{}}\n",
        "key": f"environment: x\nchecks:\n  {big}: {{kind: dns, name: a.example}}\n",
        "comment": f"# {big}\nenvironment: x\nchecks: {{}}\n",
    }[where]
    result = load_text(scratch, text)
    if isinstance(result, PolicyError):
        assert "\n" not in str(result) and big not in str(result)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        (
            "huge integer",
            "environment: x\nchecks: {a: {kind: tcp, host: a, port: " + "9" * 5000 + "}}\n",
        ),
        (
            "newline in an id",
            'environment: x\nchecks: {"a\\nb": {kind: dns, name: a, after: ["x\\ny"]}}\n',
        ),
        ("newline in a kind", 'environment: x\nchecks: {a: {kind: "dn\\ns", name: a}}\n'),
        ("unhashable key", "environment: x\n? [1, 2]\n: 3\nchecks: {}\n"),
        ("unknown tag", "environment: !foo x\nchecks: {}\n"),
        ("NUL byte", "environment: \x00\nchecks: {}\n"),
        ("line separator", 'environment: x\nchecks: {"a\u2028b": {kind: nope}}\n'),
    ],
)
def test_known_crashers_are_one_clean_error(scratch: Path, name: str, text: str) -> None:
    """Inputs that once escaped as ValueError or multi-line errors are one-line PolicyErrors."""
    assert isinstance(load_text(scratch, text), PolicyError), name


# -- the CLI on fuzzed files ------------------------------------------------------------------

CLI_INPUTS: dict[str, bytes] = {
    "deep": b"environment: x\nchecks: " + b"{a: " * 5000 + b"1" + b"}" * 5000 + b"\n",
    "binary": bytes(range(256)) * 4,
    "bomb": (
        "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
        + "".join(
            f"{c}: &{c} [{', '.join([f'*{p}'] * 10)}]\n"
            for p, c in zip("abcdefgh", "bcdefghi", strict=True)
        )
    ).encode(),
    "python-tag": b"environment: !!python/object/apply:os.system ['echo pwned']\nchecks: {}\n",
    "huge-int": b"environment: x\nchecks: {a: {kind: tcp, host: a, port: " + b"9" * 5000 + b"}}\n",
    "empty": b"",
}


@pytest.mark.parametrize("name", sorted(CLI_INPUTS))
def test_cli_on_a_hostile_file_exits_cleanly(tmp_path: Path, name: str) -> None:
    """The CLI exits 2 with one stderr line and no traceback for hostile policy files."""
    path = tmp_path / f"{name}.yaml"
    path.write_bytes(CLI_INPUTS[name])
    proc = run_cli(["--policy", str(path)])
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr and "pwned" not in proc.stdout + proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert str(path) in proc.stderr


def test_cli_on_a_directory_exits_two(tmp_path: Path) -> None:
    """A directory given as --policy is exit 2, one line, no traceback."""
    proc = run_cli(["--policy", str(tmp_path)])
    assert proc.returncode == 2 and "is a directory" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr


AS_NOBODY = textwrap.dedent(
    """
    import io, os, pwd, sys
    from infra_verify.cli.main import main
    # As root, load a readable policy once: every module the load path needs is imported now,
    # so that after dropping privileges nothing is read from the checkout (which may be
    # readable by root only) or the current directory.
    assert main(["test", "--policy", sys.argv[2], "--list"], stdout=io.StringIO()) == 0
    os.chdir(os.path.dirname(sys.argv[2]))
    nobody = pwd.getpwnam("nobody")
    os.setgid(nobody.pw_gid)
    os.setuid(nobody.pw_uid)
    sys.exit(main(["--policy", sys.argv[1]], stdout=io.StringIO()))
    """
)


@pytest.fixture
def readable_dir() -> Iterator[Path]:
    """A fresh folder 'nobody' can reach (pytest's tmp_path is under a root-only folder)."""
    import shutil

    folder = Path(tempfile.mkdtemp(prefix="iv-nobody-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.skipif(os.geteuid() != 0, reason="dropping to 'nobody' needs root")
@pytest.mark.parametrize("how", ["file mode 000", "directory mode 700"])
def test_unreadable_policy_as_an_unprivileged_user_exits_two(readable_dir: Path, how: str) -> None:
    """Read by 'nobody', an unreadable policy (or one in a closed directory) is exit 2, one line.

    What the child needs is copied to a folder anyone can read, and the child runs there: the
    test does not depend on the checkout's permissions (a checkout only root can read passes).
    """
    import subprocess

    warm = readable_dir / "readable.yaml"
    warm.write_text("environment: test\nchecks:\n  s: {kind: environment}\n")
    warm.chmod(0o644)
    folder = readable_dir / "closed"
    folder.mkdir()
    path = folder / "p.yaml"
    path.write_text("environment: test\nchecks: {}\n")
    if how == "file mode 000":
        folder.chmod(0o755)
        path.chmod(0)
    else:
        folder.chmod(0o700)
    proc = subprocess.run(
        [sys.executable, "-c", AS_NOBODY, str(path), str(warm)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=readable_dir,
    )
    assert proc.returncode == 2, proc.stderr
    assert "permission denied" in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


# -- alias bombs ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        # wide: one big anchor referenced many times (a million nodes)
        "big: &big ["
        + ", ".join(["x"] * 1000)
        + "]\n"
        + "environment: x\nchecks: {a: {kind: dns, name: a, expect: ["
        + ", ".join(["*big"] * 1000)
        + "]}}\n",
        # nested inside a check, in block style
        "environment: x\nchecks:\n  a:\n    kind: dns\n    name: a\n    expect: &l0 [x, x, x, x, x, x, x, x]\n"
        + "".join(f"    k{i}: &l{i + 1} [{', '.join([f'*l{i}'] * 8)}]\n" for i in range(8)),
    ],
    ids=["wide", "nested-in-a-check"],
)
def test_alias_bombs_are_refused_quickly(
    scratch: Path, text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Alias bombs of other shapes than tests/test_policy.py's are refused while the node graph
    is walked, before anything is constructed (no timing: that holds on a loaded machine)."""
    from infra_verify.policy import yaml_lines

    def construct(*_: object, **__: object) -> None:
        raise AssertionError("the bomb reached construction")

    monkeypatch.setattr(yaml_lines, "_construct", construct)
    err = load_text(scratch, text)
    assert isinstance(err, PolicyError) and "alias bomb" in str(err)


def test_ordinary_anchors_and_merge_keys_still_work(scratch: Path) -> None:
    """Refusing bombs does not refuse aliases: a shared mapping merged into two checks loads."""
    text = textwrap.dedent(
        """\
        environment: test
        checks:
          a: &common {kind: dns, type: A, name: a.example.com}
          b: {<<: *common, name: b.example.com}
        """
    )
    result = load_text(scratch, text)
    assert isinstance(result, Policy), result
    assert [c.subject() for c in result.checks] == ["a.example.com/A", "b.example.com/A"]


# -- ${VAR} interpolation of values with special characters -------------------------------------

SPECIAL_VALUES = [
    'it\'s "quoted"',
    "cost: $5 and $$ and ${NOT_A_REF} and ${V}",
    "closing } brace and {a: b} flow",
    "line one\nline two\n- item\n  key: value",
    "# not a comment",
    "&anchor *alias !!python/object/apply:os.system ['true']",
    "[1, 2] | > ? : -- ---",
    "back\\slash \\n \t tab",
    "",
]

TEMPLATE = """\
environment: test
checks:
  h:
    kind: http
    url: "https://api.example.com/health"
    body_contains: ${V}
    headers: {X-Value: "prefix ${V} suffix"}
"""


def _interpolated(scratch: Path, value: str) -> Http:
    result = load_text(scratch, TEMPLATE, env={"V": value})
    assert isinstance(result, Policy), result
    (check,) = result.checks
    assert isinstance(check, Http)
    return check


@pytest.mark.parametrize("value", SPECIAL_VALUES)
def test_interpolated_value_lands_verbatim(scratch: Path, value: str) -> None:
    """A ${VAR} value with quotes, $, }, newlines or YAML syntax is inserted as is, never parsed."""
    check = _interpolated(scratch, value)
    assert check.body_contains == value
    assert check.headers == {"X-Value": f"prefix {value} suffix"}


@FUZZ
@given(
    value=st.text(st.characters(exclude_categories=["Cs"]) | st.sampled_from(string.punctuation))
)
def test_any_interpolated_value_lands_verbatim(scratch: Path, value: str) -> None:
    """For any text, ${V} in a check field becomes exactly that text."""
    check = _interpolated(scratch, value)
    assert check.body_contains == value
    assert check.headers == {"X-Value": f"prefix {value} suffix"}
