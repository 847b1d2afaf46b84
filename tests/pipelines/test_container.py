"""The Dockerfile (parsed, no Docker engine needed) and the docker commands the README shows."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO / "Dockerfile"

README_DOCKER_BUILD = "docker build -t infra-verify ."
README_DOCKER_VERSION = "docker run --rm infra-verify --version"
README_DOCKER_GATE = (
    'docker run --rm -v "$PWD:/workspace" -v "$HOME/.config/gcloud:/home/verify/.config/gcloud:ro" '
    "infra-verify staging --wait 20m --junit reports/gate.xml"
)
"""The docker commands as the README shows them (the last one needs a GCP project and ADC)."""


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs of the Dockerfile, continuation lines joined."""
    out: list[tuple[str, str]] = []
    logical = ""
    for raw in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        logical += line[:-1] + " " if line.endswith("\\") else line
        if not line.endswith("\\"):
            word, _, rest = logical.partition(" ")
            out.append((word.upper(), rest.strip()))
            logical = ""
    return out


def dockerfile_entrypoint() -> list[str]:
    """The ENTRYPOINT of the Dockerfile, in exec form."""
    entries = [args for word, args in instructions() if word == "ENTRYPOINT"]
    assert len(entries) == 1
    value: list[str] = json.loads(entries[0])
    return value


def run_args(command: str) -> tuple[str, list[str]]:
    """The image and its arguments in a `docker run` command."""
    words = shlex.split(command)
    assert words[:2] == ["docker", "run"]
    i = 2
    while words[i].startswith("-"):
        i += 2 if words[i] in ("-v", "-e", "--volume", "--env") else 1
    return words[i], words[i + 1 :]


def test_entrypoint_is_python_m_infra_verify() -> None:
    """ENTRYPOINT is exec-form `python -m infra_verify`, so step args are the CLI's args."""
    assert dockerfile_entrypoint() == ["python", "-m", "infra_verify"]


def test_small_base_and_package_installed() -> None:
    """The image starts from python:3.11-slim and pip-installs the package itself."""
    steps = instructions()
    assert steps[0] == ("FROM", "python:3.11-slim")
    copies = [args for word, args in steps if word == "COPY"]
    assert any("infra_verify" in c for c in copies) and any("pyproject.toml" in c for c in copies)
    assert any(word == "RUN" and "pip install ." in args for word, args in steps)


def test_runs_as_a_non_root_user_in_workspace() -> None:
    """The last USER is not root and the last WORKDIR is /workspace (where Cloud Build mounts)."""
    steps = instructions()
    users = [args for word, args in steps if word == "USER"]
    assert users and users[-1] not in ("root", "0")
    assert [args for word, args in steps if word == "WORKDIR"][-1] == "/workspace"
    assert any(
        word == "RUN" and f"useradd --create-home --uid 10001 {users[-1]}" in args
        for word, args in steps
    )


def test_dockerignore_keeps_the_context_small() -> None:
    """The build context leaves out the venv, git history and tests."""
    ignored = (REPO / ".dockerignore").read_text(encoding="utf-8").split()
    for name in (".git", ".venv", "tests"):
        assert name in ignored
    assert "infra_verify" not in ignored and "pyproject.toml" not in ignored


def test_readme_docker_commands_use_the_built_image() -> None:
    """The README's docker run commands use the tag its docker build command creates."""
    build = shlex.split(README_DOCKER_BUILD)
    tag = build[build.index("-t") + 1]
    assert build[-1] == "."
    for command in (README_DOCKER_VERSION, README_DOCKER_GATE):
        image, _ = run_args(command)
        assert image == tag


def test_readme_gate_run_is_the_documented_gate_command() -> None:
    """`docker run ... infra-verify ARGS` runs the same command as the Cloud Build gate step."""
    from tests.pipelines.test_cloudbuild import README_GATE_COMMAND

    _, args = run_args(README_DOCKER_GATE)
    assert dockerfile_entrypoint() + args == shlex.split(README_GATE_COMMAND)
    home = "/home/verify"
    assert f":{home}/.config/gcloud:ro" in README_DOCKER_GATE


def test_entrypoint_with_readme_version_args_runs() -> None:
    """The entrypoint plus the README's --version args works (run here without Docker)."""
    _, args = run_args(README_DOCKER_VERSION)
    entry = dockerfile_entrypoint()
    assert entry[0] == "python"
    proc = subprocess.run(
        [sys.executable, *entry[1:], *args],
        capture_output=True,
        text=True,
        timeout=120,  # a hang guard for a loaded machine
        cwd=REPO,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert proc.returncode == 0
    assert proc.stdout.startswith("infra_verify ")
