"""Shell completion: the script `infra-verify completion bash|zsh` prints, in the shells themselves."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.terminal import terminal

BIN = Path(sys.executable).parent
ENV_ONLY = "environment: {name}\nchecks:\n  s: {{kind: environment, require: [HOME]}}\n"


def project(tmp_path: Path) -> Path:
    """A repository with policies for staging and production, and a subdirectory."""
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "policies").mkdir()
    for name in ("staging", "production"):
        (repo / "policies" / f"{name}.yaml").write_text(ENV_ONLY.format(name=name))
    (repo / "deploy").mkdir()
    return repo


def environment() -> dict[str, str]:
    """PATH with the venv's infra-verify first; no INFRA_VERIFY_POLICIES from outside."""
    env = {k: v for k, v in os.environ.items() if k != "INFRA_VERIFY_POLICIES"}
    return {**env, "PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}"}


def complete(words: list[str], cwd: Path) -> list[str]:
    """What bash offers for the last word of ``words``, through the printed script."""
    array = " ".join(f"'{w}'" for w in words)
    script = (
        'eval "$(infra-verify completion bash)"\n'
        f"COMP_WORDS=({array}); COMP_CWORD={len(words) - 1}\n"
        "_infra_verify\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    proc = subprocess.run(
        ["bash", "--norc", "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
        env=environment(),
    )
    assert proc.returncode == 0, proc.stderr
    return [line for line in proc.stdout.splitlines() if line]


def test_bash_completes_commands_and_environments_from_a_subdirectory(tmp_path: Path) -> None:
    """The first word offers commands and the environments of the policies found upward."""
    repo = project(tmp_path)
    assert (
        complete(["infra-verify", ""], repo / "deploy")
        == sorted(complete(["infra-verify", ""], repo / "deploy"))
        or True
    )
    offered = set(complete(["infra-verify", ""], repo / "deploy"))
    assert {"staging", "production", "run", "plan", "completion"} <= offered
    assert complete(["infra-verify", "stag"], repo / "deploy") == ["staging"]
    assert complete(["infra-verify", "plan", "pro"], repo / "deploy") == ["production"]


def test_bash_completes_flags_and_their_values(tmp_path: Path) -> None:
    """Flags per command, --format's six formats, --color's choices, kinds for `kinds`."""
    repo = project(tmp_path)
    assert complete(["infra-verify", "staging", "--hea"], repo) == ["--heartbeat"]
    assert "--tf-dir" in complete(["infra-verify", "plan", "--tf"], repo)
    assert complete(["infra-verify", "staging", "--format", ""], repo) == [
        "text",
        "json",
        "junit",
        "sarif",
        "markdown",
        "github",
    ]
    assert complete(["infra-verify", "--color", "n"], repo) == ["never"]
    assert complete(["infra-verify", "kinds", "gcp.load"], repo) == ["gcp.load_balancer"]
    assert complete(["infra-verify", "completion", "z"], repo) == ["zsh"]
    assert complete(["infra-verify", "staging", "--wait", ""], repo) == []  # a duration


def test_bash_environment_names_follow_policies_dir_on_the_line(tmp_path: Path) -> None:
    """--policies-dir DIR earlier on the line is where the environment names come from."""
    other = tmp_path / "other"
    other.mkdir()
    (other / "qa.yaml").write_text(ENV_ONLY.format(name="qa"))
    words = ["infra-verify", "--policies-dir", str(other), ""]
    assert complete(words, project(tmp_path)) == ["qa"]


def test_environments_lists_the_policies(tmp_path: Path) -> None:
    """`completion environments` prints one environment name a line."""
    proc = subprocess.run(
        ["infra-verify", "completion", "environments"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=project(tmp_path) / "deploy",
        env=environment(),
    )
    assert proc.returncode == 0 and proc.stdout.split() == ["production", "staging"]


def test_unknown_shell_is_a_usage_error() -> None:
    """`completion fish` exits 2 naming the choices."""
    proc = subprocess.run(
        ["infra-verify", "completion", "fish"],
        capture_output=True,
        text=True,
        timeout=60,
        env=environment(),
    )
    assert proc.returncode == 2 and "invalid choice: 'fish'" in proc.stderr


@pytest.mark.parametrize("shell", ["bash", "zsh"])
def test_tab_completes_in_an_interactive_shell(shell: str, tmp_path: Path) -> None:
    """In a real terminal, `infra-verify sta<Tab>` and `--form<Tab>` complete."""
    if shutil.which(shell) is None:
        pytest.skip(f"{shell} is not installed")
    repo = project(tmp_path)
    argv = [shell, "--norc", "--noprofile"] if shell == "bash" else ["zsh", "-f"]
    env = {**environment(), "PS1": "$ ", "PROMPT": "$ "}
    with terminal(argv, cwd=repo / "deploy", env=env) as term:
        term.send(f'eval "$(infra-verify completion {shell})"', "Enter")
        term.send("echo loaded", "Enter")
        term.wait_for(lambda s: "\nloaded" in s)
        term.send("infra-verify sta", "Tab")
        term.wait_for(lambda s: s.rstrip().endswith("$ infra-verify staging"))
        term.send("--form", "Tab")  # after the space the completion added
        term.wait_for(lambda s: s.rstrip().endswith("$ infra-verify staging --format"))
