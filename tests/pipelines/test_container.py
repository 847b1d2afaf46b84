"""The Dockerfile (parsed, no Docker engine needed) and the docker commands the README shows."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO / "Dockerfile"

README = REPO / "README.md"
LOCK = REPO / "requirements.lock"


def readme_docker_commands() -> list[str]:
    """The ``docker ...`` command lines of the README's sh blocks, in order."""
    text = README.read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(.*?)```", text, re.S)
    return [
        line.strip()
        for block in blocks
        for line in block.replace("\\\n", " ").splitlines()
        if line.strip().startswith("docker ")
    ]


def readme_docker(verb: str, contains: str = "") -> str:
    """The README's first ``docker VERB`` command containing ``contains``."""
    found = [c for c in readme_docker_commands() if c.split()[1] == verb and contains in c]
    assert found, f"README shows no 'docker {verb}' with {contains!r}"
    return found[0]


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


def run_options(command: str) -> tuple[list[tuple[str, str | None]], str, list[str]]:
    """The options, the image and its arguments of a ``docker run`` command."""
    words = shlex.split(command)
    assert words[:2] == ["docker", "run"]
    options: list[tuple[str, str | None]] = []
    i = 2
    while words[i].startswith("-"):
        takes_value = words[i] in ("-v", "-e", "-u", "--volume", "--env", "--user")
        options.append((words[i], words[i + 1] if takes_value else None))
        i += 2 if takes_value else 1
    return options, words[i], words[i + 1 :]


def run_args(command: str) -> tuple[str, list[str]]:
    """The image and its arguments in a `docker run` command."""
    _, image, args = run_options(command)
    return image, args


def test_entrypoint_is_python_m_infra_verify() -> None:
    """ENTRYPOINT is exec-form `python -m infra_verify`, so step args are the CLI's args."""
    assert dockerfile_entrypoint() == ["python", "-m", "infra_verify"]


def test_small_base_and_package_installed_from_the_lock() -> None:
    """Both stages are python:3.11-slim; dependencies come hashed from the lock, then the wheel."""
    steps = instructions()
    assert [args for word, args in steps if word == "FROM"] == [
        "python:3.11-slim AS wheel",
        "python:3.11-slim",
    ]
    runs = [args for word, args in steps if word == "RUN"]
    locked = [r for r in runs if "-r " in r and "requirements.lock" in r]
    assert len(locked) == 2 and all("--require-hashes --no-deps" in r for r in locked)
    assert any("pip wheel --no-deps --no-build-isolation" in r for r in runs)
    assert any("pip install --no-deps /tmp/dist/" in r for r in runs)
    assert not [r for r in runs if re.search(r"pip install (?!--)", r)], "unpinned pip install"


def test_runs_as_a_numeric_non_root_user_in_workspace() -> None:
    """The last USER is numeric uid:gid, not 0 (DL3066, runAsNonRoot); WORKDIR is /workspace."""
    steps = instructions()
    users = [args for word, args in steps if word == "USER"]
    assert users and re.fullmatch(r"[1-9]\d*:[1-9]\d*", users[-1]), users
    assert users[-1] == "65532:65532"
    assert [args for word, args in steps if word == "WORKDIR"][-1] == "/workspace"


def test_lock_pins_every_dependency_with_a_hash() -> None:
    """requirements.lock pins each dependency and build requirement, matching pyproject.toml."""
    pins: dict[str, str] = {}
    text = LOCK.read_text(encoding="utf-8").replace("\\\n", " ")
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        match = re.fullmatch(r"([a-z0-9-]+)==(\S+) +--hash=sha256:[0-9a-f]{64}", line.strip())
        assert match, f"not a hashed pin: {line!r}"
        pins[match.group(1)] = match.group(2)
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    wanted = [*project["project"]["dependencies"], *project["build-system"]["requires"]]
    for spec in map(Requirement, wanted):
        name = canonicalize_name(spec.name)
        assert name in pins, f"{name} is not in requirements.lock"
        assert spec.specifier.contains(pins[name], prereleases=True), (name, pins[name])
    check = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "lock_requirements.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert check.returncode == 0, check.stdout


def test_dockerignore_keeps_the_context_small() -> None:
    """The build context leaves out the venv, git history and tests, keeps what the image needs."""
    lines = (REPO / ".dockerignore").read_text(encoding="utf-8").splitlines()
    ignored = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    for name in (".git", ".venv", "tests"):
        assert name in ignored
    for needed in ("infra_verify", "pyproject.toml", "requirements.lock", "LICENSE", "MANIFEST.in"):
        assert needed not in ignored
    copied = " ".join(args for word, args in instructions() if word == "COPY")
    for needed in ("requirements.lock", "LICENSE", "MANIFEST.in", "pyproject.toml"):
        assert needed in copied


def test_readme_docker_commands_use_the_built_image() -> None:
    """The README's docker run commands use the tag its docker build command creates."""
    build = shlex.split(readme_docker("build"))
    tag = build[build.index("-t") + 1]
    assert build[-1] == "."
    runs = [c for c in readme_docker_commands() if c.startswith("docker run")]
    assert len(runs) >= 2
    for command in runs:
        image, _ = run_args(command)
        assert image == tag


def test_readme_gate_run_is_the_documented_gate_command() -> None:
    """`docker run ... infra-verify ARGS` runs the same command as the Cloud Build gate step."""
    from tests.pipelines.test_cloudbuild import README_GATE_COMMAND

    _, args = run_args(readme_docker("run", "--junit"))
    assert dockerfile_entrypoint() + args == shlex.split(README_GATE_COMMAND)


def test_readme_gate_run_gives_a_key_file_to_the_invoking_user() -> None:
    """--user is the caller, the key is one read-only file named by GOOGLE_APPLICATION_CREDENTIALS."""
    options, _, _ = run_options(readme_docker("run", "--junit"))
    values = dict(options)
    assert values["--user"] == "$(id -u):$(id -g)"
    env = dict(v.split("=", 1) for k, v in options if k == "-e" and v)
    key = env["GOOGLE_APPLICATION_CREDENTIALS"]
    mounts = [v.split(":") for k, v in options if k == "-v" and v]
    assert [key, "ro"] in [m[1:] for m in mounts], mounts
    assert ["$PWD", "/workspace"] in mounts
    assert "mkdir -p reports" in README.read_text(encoding="utf-8")


def test_entrypoint_with_readme_version_args_runs() -> None:
    """The entrypoint plus the README's --version args works (run here without Docker)."""
    _, args = run_args(readme_docker("run", "--version"))
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


# `docker run --user U:G -v $PWD:/workspace -v KEY:/secrets/adc.json:ro -e ...` without Docker:
# the kernel's permission checks are the same on a bind mount, so the gate runs here as another
# uid, on files that uid owns, exactly as the container process would.
HOST_USER = (4242, 4242)
"""The uid:gid of "you" on the host (``$(id -u):$(id -g)``)."""
IMAGE_USER = (65532, 65532)
"""The image's USER, which runs the gate when ``--user`` is not given."""


def other_user_python() -> str:
    """A python of this version that another uid may execute (the venv's may live under /root)."""
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    for candidate in (
        os.path.realpath(sys.executable),
        shutil.which(version),
        f"/usr/bin/{version}",
    ):
        if not candidate or not os.path.exists(candidate):
            continue
        try:
            probe = subprocess.run(
                [candidate, "-c", "pass"],
                user=HOST_USER[0],
                group=HOST_USER[1],
                extra_groups=[],
                capture_output=True,
                timeout=60,
                check=False,
            )
        except PermissionError:  # e.g. under /root
            continue
        if probe.returncode == 0:
            return candidate
    pytest.fail(f"no {version} that uid {HOST_USER[0]} can execute")


@pytest.fixture
def host_checkout() -> Iterator[Path]:
    """A repository owned by "you": policies/local.yaml, reports/ and a 0600 ADC key file."""
    if os.geteuid() != 0:
        pytest.skip("switching users (to emulate docker run --user) needs root")
    base = Path(tempfile.mkdtemp(prefix="infra-verify-docker-"))
    base.chmod(0o755)
    workspace = base / "workspace"
    (workspace / "policies").mkdir(parents=True)
    (workspace / "policies" / "local.yaml").write_text(
        "environment: local\n"
        "checks:\n"
        "  credentials: {kind: environment, require: [GOOGLE_APPLICATION_CREDENTIALS]}\n"
    )
    (workspace / "reports").mkdir()  # the README's `mkdir -p reports`
    key = base / "adc.json"
    key.write_text(
        json.dumps(
            {
                "type": "authorized_user",
                "client_id": "test.apps.googleusercontent.com",
                "client_secret": "not-a-real-secret",
                "refresh_token": "not-a-real-token",
            }
        )
    )
    for path in (workspace, *workspace.rglob("*"), key):
        os.chown(path, *HOST_USER)
    key.chmod(0o600)
    try:
        yield base
    finally:
        shutil.rmtree(base)


def as_user(user: tuple[int, int], base: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run python ARGS as ``user`` in base/workspace, with the image's environment."""
    purelib = sysconfig.get_paths()["purelib"]
    env = {
        "HOME": "/tmp",  # the image's ENV HOME
        "PATH": "/usr/bin:/bin",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONPATH": os.pathsep.join([str(REPO), purelib]),
        "NO_COLOR": "1",
        "GOOGLE_APPLICATION_CREDENTIALS": str(base / "adc.json"),
    }
    return subprocess.run(
        [other_user_python(), *args],
        user=user[0],
        group=user[1],
        extra_groups=[],
        cwd=base / "workspace",
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


ADC = "import google.auth; creds, _ = google.auth.default(); print(type(creds).__name__)"


def test_docker_run_as_the_invoking_user_reads_a_0600_key_and_writes_reports(
    host_checkout: Path,
) -> None:
    """As --user you: ADC loads the 0600 key, and the gate passes and writes reports/gate.xml."""
    adc = as_user(HOST_USER, host_checkout, "-c", ADC)
    assert adc.returncode == 0, adc.stderr
    assert adc.stdout.strip() == "Credentials"
    gate = as_user(
        HOST_USER, host_checkout, "-m", "infra_verify", "local", "--junit", "reports/gate.xml"
    )
    assert gate.returncode == 0, gate.stdout + gate.stderr
    report = host_checkout / "workspace" / "reports" / "gate.xml"
    assert report.stat().st_uid == HOST_USER[0]
    assert "not-a-real" not in report.read_text() + gate.stdout + gate.stderr


def test_docker_run_without_user_cannot_read_the_key_or_write_reports(host_checkout: Path) -> None:
    """As the image's 65532 (no --user): the 0600 key is unreadable and reports/ not writable."""
    adc = as_user(IMAGE_USER, host_checkout, "-c", ADC)
    assert adc.returncode != 0
    assert "Permission denied" in adc.stderr or "PermissionError" in adc.stderr, adc.stderr
    gate = as_user(
        IMAGE_USER, host_checkout, "-m", "infra_verify", "local", "--junit", "reports/gate.xml"
    )
    assert gate.returncode != 0, gate.stdout
    assert not (host_checkout / "workspace" / "reports" / "gate.xml").exists()
