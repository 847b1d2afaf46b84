"""The command line as a user meets it: commands in --help under the invoked name, formats,
--output, durations, --deadline with --wait, colors, and the policies directory found upward."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from infra_verify.cli import init, merge, plan, run
from infra_verify.cli.common import FORMATS, use_color
from infra_verify.cli.locate import find_policies_dir
from infra_verify.cli.main import SUBCOMMANDS, main, program_name
from infra_verify.reporters import REPORTERS

ROOT = Path(__file__).resolve().parents[2]
CONSOLE_SCRIPT = Path(sys.executable).parent / "infra-verify"

ENV_ONLY = """\
environment: test
checks:
  settings:
    kind: environment
    require: [IV_TEST_PRESENT]
"""


def cli(*args: str) -> tuple[int, str]:
    """Run the CLI in-process; return the exit code and stdout."""
    out = io.StringIO()
    code = main(list(args), stdout=out)
    return code, out.getvalue()


def policy(tmp_path: Path) -> Path:
    """A one-check policy that passes when IV_TEST_PRESENT is set."""
    path = tmp_path / "p.yaml"
    path.write_text(ENV_ONLY)
    return path


def test_help_lists_every_command_under_the_console_script_name() -> None:
    """`infra-verify --help` says "usage: infra-verify" and lists every command with its help."""
    proc = subprocess.run(
        [str(CONSOLE_SCRIPT), "--help"], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("usage: infra-verify [run] ENVIRONMENT [options]")
    commands = proc.stdout.split("commands:", 1)[1].split("\n\n", 1)[0]
    assert [line.split()[0] for line in commands.strip().splitlines()] == list(SUBCOMMANDS)
    assert "python -m" not in proc.stdout
    assert "--wait DURATION" in proc.stdout  # the default command's options follow


def test_help_under_python_dash_m_says_so() -> None:
    """`python -m infra_verify --help` names itself as invoked, commands included."""
    proc = subprocess.run(
        [sys.executable, "-m", "infra_verify", "plan", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0
    assert proc.stdout.startswith("usage: python -m infra_verify plan ")


@pytest.mark.parametrize("command", ["run", "plan", "init", "kinds", "merge", "completion"])
def test_each_command_help_names_the_command(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """`infra-verify COMMAND --help` exits 0 with "usage: infra-verify COMMAND"."""
    assert cli(command, "--help")[0] == 0
    assert capsys.readouterr().out.startswith(f"usage: infra-verify {command} ")


def test_program_name_follows_the_invocation() -> None:
    """The console script keeps its name; `python -m` (argv[0] = __main__.py) says python -m."""
    assert program_name("/usr/local/bin/infra-verify") == "infra-verify"
    assert program_name("/x/infra_verify/__main__.py") == "python -m infra_verify"


def test_no_arguments_names_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    """Without an environment, exit 2 with one line pointing at the commands."""
    assert cli()[0] == 2
    err = capsys.readouterr().err
    assert "name an environment" in err and "plan, init, kinds, merge, completion" in err


def test_format_help_names_every_format() -> None:
    """--format's help in run, plan and merge names all six formats, the ones the reporters have."""
    assert set(FORMATS) == set(REPORTERS)
    for module in (run, plan, merge):
        parser = module.build_parser()
        action = next(a for a in parser._actions if "--format" in a.option_strings)
        assert action.help is not None and all(f in action.help for f in FORMATS)
        assert tuple(action.choices or ()) == FORMATS


def test_list_format_json_prints_json(tmp_path: Path) -> None:
    """--list --format json prints the check list as JSON (it printed text)."""
    code, out = cli("--policy", str(policy(tmp_path)), "--list", "--format", "json")
    doc = json.loads(out)
    assert code == 0 and doc["environment"] == "test"
    assert doc["checks"][0]["id"] == "settings" and doc["checks"][0]["kind"] == "environment"


def test_list_with_a_report_format_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--list --format sarif exits 2: a listing is text or json."""
    assert cli("--policy", str(policy(tmp_path)), "--list", "--format", "sarif")[0] == 2
    assert "--list and --graph print text or json" in capsys.readouterr().err


def test_output_dash_is_stdout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """--output - prints the report on stdout and writes no file named '-'."""
    monkeypatch.setenv("IV_TEST_PRESENT", "yes")
    monkeypatch.chdir(tmp_path)
    code, out = cli("--policy", str(policy(tmp_path)), "--format", "json", "--output", "-")
    assert code == 0 and json.loads(out)["ok"] is True
    assert not (tmp_path / "-").exists()


def test_output_file_leaves_stdout_empty(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """--output FILE writes the report there *instead of* stdout, as its help says."""
    monkeypatch.setenv("IV_TEST_PRESENT", "yes")
    target = tmp_path / "out" / "r.json"
    code, out = cli("--policy", str(policy(tmp_path)), "--format", "json", "--output", str(target))
    assert code == 0 and out == ""
    assert json.loads(target.read_text())["ok"] is True


def test_merge_and_kinds_take_output_dash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """merge and kinds take --output FILE and --output - like run."""
    monkeypatch.setenv("IV_TEST_PRESENT", "yes")
    report = tmp_path / "r.json"
    assert cli("--policy", str(policy(tmp_path)), "--json", str(report), "-q")[0] == 0
    code, out = cli("merge", str(report), "--format", "junit", "--output", "-")
    assert code == 0 and out.startswith("<?xml")
    code, out = cli("merge", str(report), "--output", str(tmp_path / "m.txt"))
    assert code == 0 and out == "" and "PASSED" in (tmp_path / "m.txt").read_text()
    code, out = cli("kinds", "tcp", "--output", "-")
    assert code == 0 and out.startswith("tcp")


@pytest.mark.parametrize(
    ("module", "argv"),
    [
        (
            run,
            ["staging", "--timeout", "5s", "--deadline", "2m", "--wait", "90", "--heartbeat", "1m"],
        ),
        (init, ["--from-forwarding-rule", "r", "--timeout", "5s"]),
    ],
)
def test_every_duration_flag_takes_the_duration_syntax(module: object, argv: list[str]) -> None:
    """`init --timeout 5s` parses (it was rejected); bare numbers are seconds."""
    args = module.build_parser().parse_args(argv)  # type: ignore[attr-defined]
    assert args.timeout == 5.0
    if module is run:
        assert (args.deadline, args.wait, args.heartbeat) == (120.0, 90.0, 60.0)


def test_a_bad_duration_names_the_flag(capsys: pytest.CaptureFixture[str]) -> None:
    """An unparsable duration exits 2 naming the flag and the syntax."""
    assert cli("init", "--from-forwarding-rule", "r", "--timeout", "soon")[0] == 2
    err = capsys.readouterr().err
    assert "--timeout" in err and "write e.g. 10s, 2m or 1h30m" in err


def test_deadline_shorter_than_wait_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--deadline 5s --wait 1m exits 2 saying how the two combine (it was silently ignored)."""
    code, _ = cli("--policy", str(policy(tmp_path)), "--wait", "1m", "--deadline", "5s")
    err = capsys.readouterr().err
    assert code == 2 and "--deadline 5.0s is shorter than --wait 1m00s" in err
    assert "--wait bounds the waiting and --deadline the whole run" in err


def test_deadline_at_least_the_wait_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """--wait 5s --deadline 1m runs (and passes at once)."""
    monkeypatch.setenv("IV_TEST_PRESENT", "yes")
    code, out = cli(
        "--policy", str(policy(tmp_path)), "--wait", "5s", "--deadline", "1m", "--heartbeat", "0"
    )
    assert code == 0 and "PASSED" in out


@pytest.mark.parametrize(
    ("choice", "env", "tty", "expected"),
    [
        ("auto", {}, False, False),
        ("auto", {}, True, True),
        ("auto", {"FORCE_COLOR": "1"}, False, True),
        ("auto", {"NO_COLOR": "1"}, True, False),
        ("auto", {"NO_COLOR": "1", "FORCE_COLOR": "1"}, True, False),
        ("auto", {"FORCE_COLOR": ""}, False, False),
        ("never", {"FORCE_COLOR": "1"}, True, False),
        ("always", {"NO_COLOR": "1"}, False, True),
    ],
)
def test_color_choice(choice: str, env: dict[str, str], tty: bool, expected: bool) -> None:
    """--color beats NO_COLOR, NO_COLOR beats FORCE_COLOR, FORCE_COLOR beats the missing TTY."""

    class Stream(io.StringIO):
        def isatty(self) -> bool:
            return tty

    assert use_color(choice, Stream(), env) is expected


def run_process(
    args: list[str], env: dict[str, str], cwd: Path
) -> subprocess.CompletedProcess[str]:
    """Run `python -m infra_verify ARGS` with extra environment variables, stdout a pipe."""
    base = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    return subprocess.run(
        [sys.executable, "-m", "infra_verify", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**base, "IV_TEST_PRESENT": "yes", **env},
        cwd=cwd,
    )


def test_force_color_colors_a_piped_report(tmp_path: Path) -> None:
    """FORCE_COLOR=1 colors the report in a pipe (a CI log); NO_COLOR beside it wins."""
    args = ["--policy", str(policy(tmp_path))]
    assert "\x1b[" not in run_process(args, {}, tmp_path).stdout
    assert "\x1b[" in run_process(args, {"FORCE_COLOR": "1"}, tmp_path).stdout
    both = run_process(args, {"FORCE_COLOR": "1", "NO_COLOR": "1"}, tmp_path)
    assert both.returncode == 0 and "\x1b[" not in both.stdout


def repository(tmp_path: Path) -> Path:
    """A repository (a .git directory) with policies/test.yaml and a deep subdirectory."""
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "policies").mkdir()
    (repo / "policies" / "test.yaml").write_text(ENV_ONLY)
    (repo / "app" / "src").mkdir(parents=True)
    return repo


def test_policies_found_from_a_subdirectory(tmp_path: Path) -> None:
    """`infra-verify test` from repo/app/src finds repo/policies/test.yaml (it said no policy)."""
    repo = repository(tmp_path)
    proc = run_process(["test"], {}, repo / "app" / "src")
    assert proc.returncode == 0, proc.stderr
    assert "PASSED" in proc.stdout
    assert find_policies_dir(cwd=repo / "app" / "src", env={}) == repo / "policies"


def test_the_walk_stops_at_the_repository_root(tmp_path: Path) -> None:
    """A policies/ directory above the repository (.git) is not picked up."""
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "test.yaml").write_text(ENV_ONLY)
    repo = tmp_path / "other"
    (repo / ".git").mkdir(parents=True)
    (repo / "sub").mkdir()
    assert find_policies_dir(cwd=repo / "sub", env={}) == Path("policies")
    proc = run_process(["test"], {}, repo / "sub")
    assert proc.returncode == 2 and "no policy for environment 'test'" in proc.stderr


def test_env_variable_and_flag_come_before_the_walk(tmp_path: Path) -> None:
    """INFRA_VERIFY_POLICIES beats the walk; --policies-dir beats INFRA_VERIFY_POLICIES."""
    repo = repository(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {"INFRA_VERIFY_POLICIES": str(elsewhere)}
    assert find_policies_dir(cwd=repo, env=env) == elsewhere
    assert find_policies_dir("flag-dir", cwd=repo, env=env) == Path("flag-dir")
    assert run_process(["test"], env, repo).returncode == 2
    flag = run_process(["test", "--policies-dir", str(repo / "policies")], env, repo)
    assert flag.returncode == 0, flag.stderr


def test_plan_takes_output_dash_and_output_file(tmp_path: Path) -> None:
    """`plan --output -` prints the report; `plan --output FILE` writes it and prints nothing."""
    from tests.iac.conftest import POLICY, fixture

    base = ["plan", "--plan", str(fixture("good")), "--policy", str(POLICY), "--format", "sarif"]
    code, out = cli(*base, "--output", "-")
    assert code == 0 and json.loads(out)["version"] == "2.1.0"
    code, out = cli(*base, "--output", str(tmp_path / "plan.sarif"))
    assert code == 0 and out == ""
    assert json.loads((tmp_path / "plan.sarif").read_text())["version"] == "2.1.0"


def test_init_writes_where_the_run_will_look(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`init` from a subdirectory writes to the repository's policies/, where `run` looks."""
    from infra_verify.testing.fake_gcp import FakeGcp
    from tests.servers.story_world import fixture_path

    repo = repository(tmp_path)
    monkeypatch.chdir(repo / "app" / "src")
    monkeypatch.delenv("INFRA_VERIFY_POLICIES", raising=False)
    with FakeGcp.from_file(fixture_path(broken=False)) as fake:
        code, out = cli(
            "init",
            "--project",
            "netra-staging",
            "--endpoint",
            fake.url,
            "--anonymous",
            "--from-forwarding-rule",
            "netra-staging-https",
            "--environment",
            "staging",
            "--timeout",
            "30s",
        )
    assert code == 0, out
    assert (repo / "policies" / "staging.yaml").is_file()
    assert not (repo / "app" / "src" / "policies").exists()


def test_show_policy_follows_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--show-policy writes to --output FILE, and refuses a report --format."""
    path = policy(tmp_path)
    target = tmp_path / "shown.yaml"
    code, out = cli("--policy", str(path), "--show-policy", "--output", str(target))
    assert code == 0 and out == "" and "require:" in target.read_text()
    assert cli("--policy", str(path), "--show-policy", "--format", "json")[0] == 2
    assert "--show-policy prints the policy as YAML" in capsys.readouterr().err


def test_a_command_after_options_says_commands_come_first(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`infra-verify --color never kinds` exits 2 saying commands come first."""
    assert cli("--color", "never", "kinds")[0] == 2
    assert "'kinds' is a command, and commands come first" in capsys.readouterr().err


def test_an_environment_named_like_a_command_runs_with_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An environment called `merge` runs as `run merge` (and as `--color never merge`)."""
    monkeypatch.setenv("IV_TEST_PRESENT", "yes")
    (tmp_path / "merge.yaml").write_text(
        ENV_ONLY.replace("environment: test", "environment: merge")
    )
    code, out = cli("run", "merge", "--policies-dir", str(tmp_path), "-q")
    assert code == 0 and "PASSED" in out
    assert cli("--color", "never", "merge", "--policies-dir", str(tmp_path), "-q")[0] == 0
