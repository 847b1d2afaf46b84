"""Terraform outputs as policy variables: ${tf.output.NAME} from terraform output -json or the plan."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from infra_verify.errors import PolicyError, UsageError
from infra_verify.iac.outputs import read_outputs
from infra_verify.iac.plan import load_plan
from infra_verify.iac.settings import load_plan_policy
from infra_verify.iac.verify import verify_plan
from infra_verify.model import Status
from tests.iac.conftest import fixture

POLICY = """environment: staging
checks:
  dns-api: {kind: dns, name: api.staging.netrasystems.ai, expect: ["${tf.output.lb_ip}"]}
"""


def write_outputs(path: Path, **values: object) -> Path:
    """A terraform output -json file."""
    path.write_text(
        json.dumps(
            {k: {"sensitive": False, "type": "string", "value": v} for k, v in values.items()}
        )
    )
    return path


def test_read_outputs_flattens_scalars_lists_and_maps(tmp_path: Path) -> None:
    """Strings, numbers, bools, lists and maps become tf.output.* strings."""
    path = write_outputs(
        tmp_path / "out.json",
        lb_ip="34.54.41.44",
        port=443,
        tls=True,
        ips=["a", "b"],
        hosts={"api": "x"},
    )
    out = read_outputs(path)
    assert out["tf.output.lb_ip"] == "34.54.41.44"
    assert out["tf.output.port"] == "443" and out["tf.output.tls"] == "true"
    assert out["tf.output.ips"] == '["a","b"]' and out["tf.output.ips.1"] == "b"
    assert out["tf.output.hosts.api"] == "x"


@pytest.mark.parametrize("content", ["nope", "[]", '{"lb_ip": "34.54.41.44"}'])
def test_read_outputs_rejects_files_that_are_not_terraform_output_json(
    tmp_path: Path, content: str
) -> None:
    """Non-JSON or the wrong shape is a UsageError naming the file and the command."""
    path = tmp_path / "out.json"
    path.write_text(content)
    with pytest.raises(UsageError, match="terraform output -json"):
        read_outputs(path)


def test_policy_expected_value_comes_from_the_outputs(tmp_path: Path) -> None:
    """${tf.output.lb_ip} takes the outputs' value; the plan's record (34.54.41.44) then disagrees."""
    policy_file = tmp_path / "p.yaml"
    policy_file.write_text(POLICY)
    extra = read_outputs(write_outputs(tmp_path / "out.json", lb_ip="34.54.41.99"))
    policy, _ = load_plan_policy(policy_file, env={}, extra=extra)
    assert policy.checks[0].expect == ("34.54.41.99",)  # type: ignore[attr-defined]
    run = verify_plan(load_plan(fixture("good")), policy)
    obs = run.by_id("dns-api").observations[0]
    assert (run.by_id("dns-api").status, obs.expected, obs.actual) == (
        Status.FAIL,
        "34.54.41.99",
        "34.54.41.44",
    )


def test_missing_output_without_default_says_how_to_provide_it(tmp_path: Path) -> None:
    """An unset ${tf.output.x} is a PolicyError pointing at --tf-outputs, with file:line."""
    policy_file = tmp_path / "p.yaml"
    policy_file.write_text(POLICY)
    with pytest.raises(PolicyError) as err:
        load_plan_policy(policy_file, env={}, extra={})
    assert err.value.line == 3 and "--tf-outputs" in str(err.value)
