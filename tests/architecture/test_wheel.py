"""The shipped wheel is the product: no test servers, and it works from an empty directory."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Every file the wheel ships under infra_verify/, by folder: a new module is a decision made here.
NOT_SHIPPED = ("tests/", "scripts/", "infra_verify/testing/dns_server.py", "knot", "demo_world")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the wheel from a copy of the checkout (the checkout itself stays untouched)."""
    src = tmp_path_factory.mktemp("src")
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        if (ROOT / name).exists():
            shutil.copy2(ROOT / name, src / name)
    shutil.copytree(
        ROOT / "infra_verify", src / "infra_verify", ignore=shutil.ignore_patterns("__pycache__")
    )
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(src)],
        check=True,
        timeout=600,
        capture_output=True,
    )
    (built,) = out.glob("infra_verify-*.whl")
    return built


def _names(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as zf:
        return zf.namelist()


def test_wheel_ships_the_package_and_its_data(wheel: Path) -> None:
    """The wheel holds the engine, every layer's package, py.typed, schemas and fake fixtures."""
    names = set(_names(wheel))
    for required in (
        "infra_verify/__init__.py",
        "infra_verify/py.typed",
        "infra_verify/check.py",
        "infra_verify/cli/main.py",
        "infra_verify/policy/load.py",
        "infra_verify/checks/registry.py",
        "infra_verify/checks/gcp/load_balancer.py",
        "infra_verify/iac/plan.py",
        "infra_verify/reporters/report.schema.json",
        "infra_verify/testing/fake_gcp.py",
        "infra_verify/testing/fixtures/staging_healthy.yaml",
    ):
        assert required in names, required


def test_wheel_ships_no_test_servers_or_tests(wheel: Path) -> None:
    """Test servers, launchers, demo worlds and tests stay in the checkout."""
    top = {n.split("/", 1)[0] for n in _names(wheel)}
    assert {t for t in top if not t.endswith(".dist-info")} == {"infra_verify"}
    testing = sorted(n for n in _names(wheel) if n.startswith("infra_verify/testing/"))
    assert [n for n in testing if n.endswith(".py")] == [
        "infra_verify/testing/__init__.py",
        "infra_verify/testing/certs.py",
        "infra_verify/testing/discovery.py",
        "infra_verify/testing/fake_gcp.py",
        "infra_verify/testing/fake_gcp_ops.py",
        "infra_verify/testing/fake_gcp_routes.py",
        "infra_verify/testing/lifecycle.py",
    ]
    assert not [n for n in _names(wheel) if any(bad in n for bad in NOT_SHIPPED)]


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh venv with the wheel installed; its dependencies come from this venv's site-packages.

    Only the dependencies' folder is added (by a .pth line), so the checkout's editable install
    of infra_verify is not visible: imports resolve to the wheel.
    """
    venv = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    Path(site, "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "-q",
            "--no-deps",
            "--no-index",
            str(wheel),
        ],
        check=True,
        timeout=300,
        capture_output=True,
    )
    yield python


def _run(python: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "INFRA_VERIFY_POLICIES")}
    return subprocess.run(
        [str(python), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def test_installed_wheel_is_the_one_imported(installed: Path, tmp_path: Path) -> None:
    """From an empty directory, infra_verify is imported from the installed wheel."""
    done = _run(installed, "-c", "import infra_verify; print(infra_verify.__file__)", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert str(ROOT) not in done.stdout
    assert "site-packages" in done.stdout


@pytest.mark.parametrize(
    ("args", "expect"),
    [
        (("-m", "infra_verify", "--help"), "exit codes"),
        (("-m", "infra_verify", "kinds"), "gcp.load_balancer"),
        (("-m", "infra_verify", "init", "--help"), "--from-forwarding-rule"),
        (("-m", "infra_verify", "plan", "--help"), "--plan"),
        (("-m", "infra_verify.testing.fake_gcp", "--help"), "--fixture"),
    ],
)
def test_installed_commands_work_from_an_empty_directory(
    installed: Path, tmp_path: Path, args: tuple[str, ...], expect: str
) -> None:
    """The CLI's commands and the fake GCP API run from the wheel alone."""
    done = _run(installed, *args, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert expect in done.stdout


def test_installed_missing_policy_is_bad_input(installed: Path, tmp_path: Path) -> None:
    """Run from an empty directory, a missing environment policy is exit 2 with one line."""
    done = _run(installed, "-m", "infra_verify", "staging", cwd=tmp_path)
    assert done.returncode == 2
    assert "staging" in done.stderr and "Traceback" not in done.stderr


def test_installed_fake_gcp_serves_a_shipped_fixture(installed: Path, tmp_path: Path) -> None:
    """The fake GCP API starts from the wheel with a fixture the wheel ships."""
    code = (
        "from importlib.resources import files\n"
        "import json, urllib.request\n"
        "from infra_verify.testing.fake_gcp import FakeGcp\n"
        "fixture = files('infra_verify.testing') / 'fixtures' / 'staging_healthy.yaml'\n"
        "with FakeGcp.from_file(str(fixture)) as fake:\n"
        "    url = fake.url + '/compute/v1/projects/netra-staging/global/forwardingRules'\n"
        "    print(len(json.load(urllib.request.urlopen(url, timeout=30))['items']))\n"
    )
    done = _run(installed, "-c", code, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout.strip()) >= 1
