"""The code the README and docs show type-checks under ``mypy --strict``, as users would run it.

Every ```` ```python ```` block of README.md and docs/*.md is written to a module and checked
twice: with mypy alone (pydantic's ``dataclass_transform``) and with the pydantic mypy plugin,
the two setups users have. A block fenced ```` ```python sketch ```` is an outline, not code.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```python\n(.*?)^```", re.S | re.M)

SETUPS = {
    "mypy": "",
    "pydantic-plugin": "plugins = pydantic.mypy\n",
}

# What the user wrote (issue 16), beside what the docs show: every form must type-check.
USER_CODE = """\
from datetime import timedelta

from infra_verify import CheckContext, Gate
from infra_verify.checks import Dns, GcpCloudRunService, Http, Postgres, Tcp, Tls, WebSocket

dns_api = Dns("api.example.com", expect=["203.0.113.10"], resolvers=["8.8.8.8"])
tls_api = Tls("api.example.com", min_days_valid=14, timeout="5s")
health = Http(
    "https://api.example.com/health", status=200, max_latency="1s", after=[dns_api, "tls"]
)
ready = Http("https://api.example.com/ready", status=[200, 204], max_latency=0.5, after=dns_api)
ws = WebSocket("wss://api.example.com/ws", subprotocols=["chat"], poll=timedelta(seconds=2))
db = Postgres(dsn_env="DATABASE_URL", timeout=10)
tcp = Tcp("db.internal", port=5432)
run_svc = GcpCloudRunService("api", region="us-central1", cloud_sql_instances=("p:r:db",))
ctx = CheckContext(environment="staging", resolvers=["8.8.8.8"])
gate = Gate([dns_api, tls_api, health, ready, ws, db, tcp, run_svc], context=ctx)
"""

# Mistakes a type checker must catch: a misspelled key, and a value of the wrong type.
MISTAKES = """\
from infra_verify.checks import Dns, Http

Dns("api.example.com", expekt=["203.0.113.10"])
Http("https://api.example.com/health", status="200")
"""


def doc_blocks() -> list[tuple[str, str]]:
    """``(name, code)`` for every python block of the README and docs."""
    blocks = []
    for doc in DOCS:
        for i, code in enumerate(FENCE.findall(doc.read_text())):
            blocks.append((f"{doc.stem.replace('-', '_').lower()}_{i}", code))
    return blocks


def run_mypy(
    tmp_path: Path, setup: str, modules: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """Run ``mypy --strict`` over ``modules`` (name -> code) with one of SETUPS."""
    src = tmp_path / "src"
    src.mkdir()
    for name, code in modules.items():
        (src / f"{name}.py").write_text(code)
    config = tmp_path / "mypy.ini"
    config.write_text(
        f"[mypy]\nstrict = true\nmypy_path = {ROOT}\n{SETUPS[setup]}"
        # as from site-packages: the package is analysed, its own findings are not the user's
        "[mypy-infra_verify.*]\nfollow_imports = silent\nwarn_unused_ignores = false\n"
        "[mypy-google.*]\nignore_missing_imports = true\n"
    )
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            str(config),
            "--cache-dir",
            str(tmp_path / "cache"),
            "--no-error-summary",
            *sorted(str(p) for p in src.glob("*.py")),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=900,
    )


def test_the_docs_have_python_examples() -> None:
    """The README and composing docs each show code; a sketch fence keeps outlines out."""
    names = [name for name, _ in doc_blocks()]
    assert any(n.startswith("readme_") for n in names), names
    assert any(n.startswith("composing_") for n in names), names


@pytest.mark.timeout(900)
@pytest.mark.parametrize("setup", sorted(SETUPS))
def test_docs_examples_type_check(tmp_path: Path, setup: str) -> None:
    """README/docs examples and the issue's user code pass ``mypy --strict``; mistakes do not."""
    modules = dict(doc_blocks())
    modules["user_code"] = USER_CODE
    modules["mistakes"] = MISTAKES
    out = run_mypy(tmp_path, setup, modules)
    lines = [line for line in out.stdout.splitlines() if ": error:" in line or ": note:" in line]
    wrong = [line for line in lines if not line.startswith("src/mistakes.py")]
    assert not wrong, "\n".join(wrong)
    caught = "\n".join(line for line in lines if line.startswith("src/mistakes.py"))
    assert "src/mistakes.py:3: error" in caught and "expekt" in caught, out.stdout
    assert "src/mistakes.py:4: error" in caught and "status" in caught, out.stdout
