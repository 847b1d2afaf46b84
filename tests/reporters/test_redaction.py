"""No report format leaks a secret: registered values and secret-looking patterns are masked."""

from __future__ import annotations

import json

import pytest

from infra_verify.gate import GateRun
from infra_verify.model import Observation, Result, Status
from infra_verify.redact import Redactor
from infra_verify.reporters import REPORTERS, ReportOptions, render

DSN = "postgresql://app:Sup3rS3cret@db/x"
DSN_PASSWORD = "Sup3rS3cret"
TOKEN = "abc.def.ghi123"
AUTH = f"Authorization: Bearer {TOKEN}"


def _secret_run(*secrets: str) -> GateRun:
    """A failed run that mentions each secret in every text field a reporter may print."""
    results = []
    for i, secret in enumerate(secrets):
        results.append(
            Result(
                f"check-{i}",
                "http",
                Status.FAIL,
                f"connect failed using {secret}",
                observations=(
                    Observation("dsn", secret, f"refused for {secret}", False, f"via {secret}"),
                ),
                hint=f"gcloud secrets versions access latest  # was {secret}",
                warnings=(f"sent {secret}",),
            )
        )
    results.append(
        Result(
            "down",
            "websocket",
            Status.FAIL,
            f"explained failure with {secrets[0]}",
            explained_by=("check-0",),
        )
    )
    return GateRun(results=tuple(results), environment="staging")


@pytest.mark.parametrize("fmt", sorted(REPORTERS))
def test_registered_secrets_never_appear(fmt: str) -> None:
    """A DSN password and a bearer token registered in the Redactor are masked in every format."""
    redactor = Redactor([DSN_PASSWORD, TOKEN])
    run = _secret_run(DSN, AUTH)
    out = render(fmt, run, ReportOptions(redactor=redactor, verbose=2, title="staging"))
    assert DSN_PASSWORD not in out
    assert TOKEN not in out
    assert "***" in out or "%2A%2A%2A" in out  # the mask is visible, the text is still there


@pytest.mark.parametrize("fmt", sorted(REPORTERS))
def test_unregistered_url_password_is_masked_by_pattern(fmt: str) -> None:
    """A user:password URL nobody registered is still masked, with the default redactor."""
    url = "https://deploy:hunter2pass@api.staging.example/health"
    out = render(fmt, _secret_run(url), ReportOptions(verbose=2))
    assert "hunter2pass" not in out
    assert "deploy:***@api.staging.example" in out


@pytest.mark.parametrize("fmt", sorted(set(REPORTERS) - {"json"}))
def test_secrets_with_markup_characters_are_masked_before_encoding(fmt: str) -> None:
    """A secret with & < > " % \\ is masked before XML/JSON/%-escaping could disguise it."""
    secret = 'p&ss<w>"rd%5\\x'
    out = render(fmt, _secret_run(f"password {secret}"), ReportOptions(redactor=Redactor([secret])))
    assert secret not in out
    for encoded in ("p&amp;ss", '\\"rd', "rd%255", "p\\&ss"):
        assert encoded not in out, encoded


def test_json_masks_secrets_with_quotes_and_backslashes() -> None:
    """The JSON report must not leak a registered secret that contains a quote or backslash."""
    secret = 'p&ss<w>"rd%5\\x'
    out = render(
        "json", _secret_run(f"password {secret}"), ReportOptions(redactor=Redactor([secret]))
    )
    decoded = json.loads(out)["results"][0]
    assert secret not in decoded["summary"]
    assert secret not in (decoded["hint"] or "")


# -- issue 15, item 13: a registered secret is masked in the encodings a server may echo ------

ECHOED = "p@ss w/rd+Sup3r:%1"
"""A password with characters that percent-encoding and base64 both change."""


def _echoes(secret: str) -> dict[str, str]:
    """The forms a hostile server echoed the password in, by name."""
    import base64
    import re
    from urllib.parse import quote, quote_plus

    raw = secret.encode()
    return {
        "percent-encoded (as in the DSN)": quote(secret, safe=""),
        "percent-encoded, lower-case hex": re.sub(
            r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), quote(secret, safe="")
        ),
        "form-encoded": quote_plus(secret),
        "base64": base64.b64encode(raw).decode(),
        "base64url": base64.urlsafe_b64encode(raw).decode(),
        "base64, unpadded": base64.b64encode(raw).decode().rstrip("="),
        "base64 of user:password": base64.b64encode(b"app:" + raw).decode(),
        "base64 of a longer message": base64.b64encode(b"password is '" + raw + b"'!").decode(),
    }


@pytest.mark.parametrize("fmt", sorted(REPORTERS))
@pytest.mark.parametrize("form", sorted(_echoes(ECHOED)))
def test_encoded_forms_of_a_registered_secret_never_appear(fmt: str, form: str) -> None:
    """A password registered once is masked percent-encoded and base64/base64url-encoded too,
    in every report format (before: only the raw text was)."""
    echoed = _echoes(ECHOED)[form]
    out = render(
        fmt,
        _secret_run(f"server said: {echoed}"),
        ReportOptions(redactor=Redactor([ECHOED]), verbose=2),
    )
    assert echoed not in out
    if form.startswith("base64 of"):  # inside a longer encoding, the secret's own part is gone
        core = echoed[8:-8]
        assert core not in out


@pytest.mark.parametrize(
    ("key", "secret"),
    [
        ("aws_secret_access_key", True),
        ("X-Api-Key", True),
        ("DB_PASSWORD", True),
        ("client_credentials", True),
        ("github_token", True),
        ("Authorization", True),
        ("pwd", True),
        ("ENVIRONMENT", False),
        ("DATABASE_HOST", False),
        ("no_loopback", False),
    ],
)
def test_any_key_naming_a_secret_is_secret(key: str, secret: bool) -> None:
    """Keys containing secret, password, token, key or credential are secret (issue 15, item 9:
    aws_secret_access_key escaped the old list)."""
    from infra_verify.redact import is_secret_key

    assert is_secret_key(key) is secret


@pytest.mark.parametrize(
    "line",
    [
        "aws_secret_access_key = wJalrXUtnFEMIK7MDENGbPxRfiCY",
        "X-Api-Key: wJalrXUtnFEMIK7MDENGbPxRfiCY",
        "client_credential=wJalrXUtnFEMIK7MDENGbPxRfiCY",
    ],
)
def test_secret_named_pairs_are_masked_by_pattern(line: str) -> None:
    """A NAME=value / NAME: value pair is masked when NAME is secret-named, registered or not."""
    from infra_verify.redact import redact

    assert "wJalrXUtnFEMIK7MDENGbPxRfiCY" not in redact(line)
