"""A check's id is a name, not a secret key: ``token-endpoint`` registers nothing, garbles nothing.

Secrets are the values of secret-named keys (and secret-named variables), never the values of a
check whose id happens to contain ``token``/``key``/``secret``; trivially short or common values
and the environment's name are never masked, so the report (GitHub command syntax included)
stays intact while real secrets inside such a check are still masked.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from infra_verify.cli.main import main
from infra_verify.policy.extends import show_policy
from infra_verify.policy.load import load_policy
from infra_verify.redact import MASK, Redactor

TOKEN_CHECK = """\
environment: staging
checks:
  token-endpoint:
    kind: environment
    require: [IV_TOKEN_ENDPOINT_URL]
    equals: {IV_FEATURE_FLAG: "on", IV_STAGE: staging, IV_MODE: "enabled-mode-x"}
  api-key-rotation:
    kind: http
    url: "https://auth.example.test/token"
    status: 200
    after: [token-endpoint]
"""

BEARER = "s3cr3t-b34r3r-v4lu3"


def write(tmp_path: Path, text: str) -> Path:
    """Write a policy file."""
    path = tmp_path / "p.yaml"
    path.write_text(text)
    return path


def cli(*args: str) -> tuple[int, str]:
    """Run the CLI in-process; return the exit code and stdout."""
    out = io.StringIO()
    return main(list(args), stdout=out), out.getvalue()


def test_a_check_id_containing_a_secret_word_registers_no_secret(tmp_path: Path) -> None:
    """The values of checks named token-endpoint / api-key-rotation are not secrets."""
    policy = load_policy(write(tmp_path, TOKEN_CHECK), env={})
    assert policy.secrets == ()
    redactor = policy.redactor({})
    text = "token-endpoint: IV_STAGE is staging, kind http, https://auth.example.test/token"
    assert redactor(text) == text


def test_secret_keys_inside_such_a_check_stay_secret(tmp_path: Path) -> None:
    """A secret-named key inside a check whose id names a secret word is still a secret."""
    text = TOKEN_CHECK + f'    headers: {{Authorization: "Bearer {BEARER}"}}\n'
    policy = load_policy(write(tmp_path, text), env={})
    assert f"Bearer {BEARER}" in policy.secrets
    assert BEARER not in policy.redactor({})(f"sent {BEARER} to token-endpoint")


@pytest.mark.parametrize("fmt", ["github", "text", "json", "junit", "markdown", "sarif"])
def test_failing_token_check_report_is_not_garbled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    """A failing check named token-endpoint reports with its id, values and env name intact."""
    monkeypatch.delenv("IV_TOKEN_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("IV_FEATURE_FLAG", "off")
    monkeypatch.setenv("IV_STAGE", "staging")
    monkeypatch.setenv("IV_MODE", "enabled-mode-x")
    path = write(tmp_path, TOKEN_CHECK)
    code, out = cli("--policy", str(path), "--only", "token-endpoint", "--format", fmt, "-vv")
    assert code == 1
    assert MASK not in out and "%2A%2A%2A" not in out
    assert "token-endpoint" in out and "staging" in out
    if fmt == "github":
        assert re.search(r"(?m)^::error title=token-endpoint(,file=[^,:]+,line=\d+)?::", out), out
        assert "::notice title=infra_verify " in out
        assert "::FAILED: deployment NOT complete" in out


def test_show_policy_does_not_mask_a_check_named_for_a_secret(tmp_path: Path) -> None:
    """--show-policy prints token-endpoint's keys, masking only its secret-named ones."""
    text = TOKEN_CHECK + f'    headers: {{Authorization: "Bearer {BEARER}"}}\n'
    shown = show_policy(write(tmp_path, text), env={})
    assert "kind: environment" in shown and "IV_STAGE: staging" in shown
    assert BEARER not in shown and MASK in shown


@pytest.mark.parametrize("value", ["on", "off", "yes", "true", "False", "none", "null", "abc"])
def test_short_and_common_values_are_never_registered(value: str) -> None:
    """Booleans, null words and values under 4 characters are never masked."""
    redactor = Redactor([value])
    text = f"flag is {value}; True/false/null/on stay readable"
    assert redactor(text) == text


def test_public_names_are_never_registered_nor_mask_their_values() -> None:
    """The environment name and check ids given as public are neither secrets nor pair names."""
    redactor = Redactor(
        ["staging", "token-endpoint", "hunter2-secret"], public=["staging", "token-endpoint"]
    )
    assert redactor("token-endpoint: staging failed") == "token-endpoint: staging failed"
    assert redactor("password: hunter2-secret") == f"password: {MASK}"
    assert redactor("api_token: abcdefgh") == f"api_token: {MASK}"


def test_github_command_separator_is_not_a_secret_pair() -> None:
    """``::error title=token-endpoint::message`` keeps its syntax; ``token: value`` is masked."""
    redactor = Redactor()
    line = "::error title=token-endpoint::https://auth.example.test/token answered 503"
    assert redactor(line) == line
    assert redactor("token: abcdefgh1234") == f"token: {MASK}"
    assert redactor("X-Api-Key=abcdefgh1234") == f"X-Api-Key={MASK}"


def test_a_check_named_like_a_bare_secret_word_does_not_unmask_pairs() -> None:
    """A check id ``password`` stays public as a value but ``password=...`` is still masked."""
    redactor = Redactor(public=["password", "token-endpoint"])
    assert redactor("password=hunter2-secret") == f"password={MASK}"
