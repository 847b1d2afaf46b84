"""The plan reader: resources, actions, reference resolution, malformed input."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from infra_verify.iac.outputs import plan_outputs
from infra_verify.iac.plan import PlanFileError, load_plan, parse_plan
from tests.iac.conftest import fixture


def test_reads_resources_with_instance_keys_and_actions() -> None:
    """Every resource_changes entry becomes a resource; for_each keys stay in the address."""
    plan = load_plan(fixture("good"))
    assert plan.format_version == "1.2"
    assert 'google_dns_record_set.hosts["api"]' in plan.resources
    zone = plan.resources["google_dns_managed_zone.staging"]
    assert zone.actions == ("no-op",) and zone.exists_after and zone.lifecycle is None
    assert len(plan.of_type("google_dns_record_set")) == 3


def test_destroy_and_replace_are_recognised() -> None:
    """["delete"] is destroyed (values from before); ["delete","create"] is replaced."""
    plan = load_plan(fixture("destroy"))
    conn = plan.resources["google_vpc_access_connector.connector"]
    cert = plan.resources["google_compute_managed_ssl_certificate.cert"]
    assert conn.destroyed and not conn.exists_after and conn.lifecycle == "will be destroyed"
    assert conn.gcp_name == "netra-staging-connector"  # read from change.before
    assert cert.replaced and cert.exists_after and cert.lifecycle == "will be replaced"
    assert plan.of_type("google_vpc_access_connector") == []
    assert plan.named(["google_vpc_access_connector"], "netra-staging-connector") == [conn]


def test_known_value_keeps_the_reference_that_declares_it() -> None:
    """A known forwarding-rule IP is a literal; its config expression still names the address."""
    plan = load_plan(fixture("good"))
    rule = plan.resources["google_compute_global_forwarding_rule.https"]
    (ip,) = plan.values(rule, "ip_address")
    assert ip.known and ip.value == "34.54.41.44" and ip.via is None
    assert "google_compute_global_address.lb.address" in plan.references(rule, "ip_address")


def test_unknown_value_resolves_through_the_reference_to_a_known_attribute() -> None:
    """A list element known after apply resolves to the referenced resource's known attribute."""
    plan = load_plan(fixture("good"))
    proxy = plan.resources["google_compute_target_https_proxy.lb"]
    certs = plan.values(proxy, "ssl_certificates")
    assert len(certs) == 1 and not certs[0].known
    assert certs[0].via == "google_compute_managed_ssl_certificate.cert.id"
    assert certs[0].source == "google_compute_managed_ssl_certificate.cert"
    run = plan.resources["google_cloud_run_v2_service.backend"]
    (neg,) = plan.values(
        plan.resources["google_compute_region_network_endpoint_group.neg"], "cloud_run.service"
    )
    assert neg.value == "netra-backend-staging"
    assert [
        c.address
        for c in plan.linked(run, "template.vpc_access.connector", ["google_vpc_access_connector"])
    ] == ["google_vpc_access_connector.connector"]


def test_unknown_value_whose_target_is_unknown_is_declared_by_reference() -> None:
    """rrdatas = [address.address] with the address allocated at apply: unknown, by reference."""
    plan = load_plan(fixture("by_reference"))
    rec = plan.resources['google_dns_record_set.hosts["api"]']
    (value,) = plan.values(rec, "rrdatas")
    assert not value.known
    assert value.source == "google_compute_global_address.lb"
    assert value.describe() == (
        "declared by reference to google_compute_global_address.lb.address (known after apply)"
    )


def test_plan_outputs_skip_unknown_values() -> None:
    """Known plan outputs become tf.output.* keys; an output known only after apply is absent."""
    assert plan_outputs(load_plan(fixture("good"))) == {"tf.output.lb_ip": "34.54.41.44"}
    assert plan_outputs(load_plan(fixture("by_reference"))) == {}


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (None, "no such plan file"),
        ("{not json", "not valid JSON"),
        (
            '{"format_version": "2.0", "resource_changes": []}',
            "unsupported plan format_version 2.0",
        ),
        ('{"format_version": "1.0", "values": {}}', "not a plan"),
        ("[1, 2]", "top level is not an object"),
        ('{"resource_changes": []}', "no format_version"),
    ],
)
def test_malformed_plan_files_name_the_file_and_the_problem(
    tmp_path: Path, content: str | None, problem: str
) -> None:
    """Missing, non-JSON, wrong-version and non-plan files raise PlanFileError naming the file."""
    path = tmp_path / "plan.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(PlanFileError) as err:
        load_plan(path)
    assert problem in str(err.value)
    assert str(path) in str(err.value)
    assert "terraform show -json" in str(err.value) or "Terraform 1.x" in str(err.value)


def test_binary_plan_file_is_rejected_with_the_conversion_command(tmp_path: Path) -> None:
    """A binary plan (not UTF-8) says how to convert it."""
    path = tmp_path / "plan.bin"
    path.write_bytes(b"PK\x03\x04\xff\xfe\x00binary")
    with pytest.raises(PlanFileError, match=r"terraform show -json plan\.bin"):
        load_plan(path)


def test_parse_plan_ignores_unknown_keys_of_a_newer_minor_version() -> None:
    """format_version 1.9 with unknown top-level keys still parses (forward compatible)."""
    plan = parse_plan({"format_version": "1.9", "resource_changes": [], "new_thing": {"x": 1}})
    assert plan.resources == {}


@pytest.mark.skipif(
    shutil.which("terraform") is None, reason="terraform is not installed on this machine"
)
def test_real_terraform_plan_is_read_and_references_resolve(tmp_path: Path) -> None:
    """A plan written by the real terraform (built-in terraform_data, no provider download) parses."""
    (tmp_path / "main.tf").write_text(
        'resource "terraform_data" "lb" { input = "34.54.41.44" }\n'
        'resource "terraform_data" "rec" { input = [terraform_data.lb.id] }\n'
        'output "lb_ip" { value = terraform_data.lb.input }\n'
    )
    env = {
        "TF_IN_AUTOMATION": "1",
        "CHECKPOINT_DISABLE": "1",
        "PATH": "/usr/local/bin:/usr/bin:/bin",
    }

    def tf(*args: str) -> str:
        """Run terraform in the temp dir; fail the test on a non-zero exit."""
        done = subprocess.run(
            ["terraform", *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    tf("init", "-input=false", "-backend=false")
    tf("plan", "-input=false", "-out=plan.bin")
    (tmp_path / "plan.json").write_text(tf("show", "-json", "plan.bin"))
    plan = load_plan(tmp_path / "plan.json")
    assert plan.format_version.startswith("1.")
    rec = plan.resources["terraform_data.rec"]
    (value,) = plan.values(rec, "input")
    assert (
        not value.known
        and value.source == "terraform_data.lb"
        and value.via == "terraform_data.lb.id"
    )
    assert plan_outputs(plan) == {"tf.output.lb_ip": "34.54.41.44"}
    assert json.loads((tmp_path / "plan.json").read_text())["resource_changes"][0]["change"][
        "actions"
    ] == ["create"]
