"""The staging fixtures are honest: every resource matches Google's discovery documents."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from infra_verify.testing.discovery import schema_for_path, validate, validate_fixture
from infra_verify.testing.fake_gcp import load_fixture

FIXTURES = Path(__file__).resolve().parents[2] / "infra_verify" / "testing" / "fixtures"
FILES = sorted(FIXTURES.glob("*.yaml"))
P = "netra-staging"
ZONE = f"dns/v1/projects/{P}/managedZones/staging-zone"
CERT = f"compute/v1/projects/{P}/global/sslCertificates/netra-staging-cert"
RUN = f"v2/projects/{P}/locations/us-central1/services/netra-backend-staging"


def _load(name: str) -> dict[str, dict[str, Any]]:
    return load_fixture(FIXTURES / name)


def test_both_story_fixtures_exist() -> None:
    """The healthy and broken staging fixtures ship with the package."""
    assert {f.name for f in FILES} >= {"staging_healthy.yaml", "staging_broken.yaml"}


@pytest.mark.parametrize("fixture", FILES, ids=lambda f: f.name)
def test_every_resource_matches_its_discovery_schema(fixture: Path) -> None:
    """No unknown field, wrong JSON type or invalid enum value in any fixture resource."""
    resources = load_fixture(fixture)
    assert all(schema_for_path(path) for path in resources), "a path maps to no schema"
    assert validate_fixture(resources) == {}


def test_validator_catches_an_unknown_field() -> None:
    """A misspelt field name is reported with the schema's known fields."""
    errors = validate("compute.v1", "SslCertificate", {"name": "c", "managedd": {}})
    assert len(errors) == 1
    assert "unknown field 'managedd'" in errors[0]


def test_validator_catches_a_wrong_json_type() -> None:
    """An int64 written as a JSON number, or an int32 written as a string, is reported."""
    errors = validate("run.v2", "GoogleCloudRunV2Service", {"generation": 3})
    assert errors == [
        "GoogleCloudRunV2Service.generation: expected a JSON string "
        "(int64/uint64 values are JSON strings), got 3"
    ]
    assert validate("dns.v1", "ResourceRecordSet", {"ttl": "300"})
    assert validate("dns.v1", "ResourceRecordSet", {"rrdatas": "1.2.3.4"})


def test_validator_catches_an_invalid_enum_value() -> None:
    """An enum value the API never sends is reported, even inside a map."""
    errors = validate(
        "compute.v1", "SslCertificate", {"managed": {"domainStatus": {"a.example": "OK"}}}
    )
    assert len(errors) == 1
    assert "'OK' is not one of" in errors[0]
    assert validate("sqladmin.v1", "DatabaseInstance", {"state": "RUNNING"})


def test_validator_reports_paths_no_collection_holds() -> None:
    """A fixture key that is no known REST collection path is an error, not skipped."""
    assert validate_fixture({f"v1/projects/{P}/locations/x/widgets/w": {}})


def test_broken_fixture_breaks_the_story_in_its_three_ways() -> None:
    """Broken staging lacks the A records and the VPC connector, and its cert is stuck."""
    healthy, broken = _load("staging_healthy.yaml"), _load("staging_broken.yaml")
    a_records = {p for p in healthy if p.startswith(f"{ZONE}/rrsets/") and p.endswith("/A")}
    assert len(a_records) == 3
    assert not a_records & set(broken)
    assert healthy[CERT]["managed"]["status"] == "ACTIVE"
    assert broken[CERT]["managed"]["status"] == "PROVISIONING"
    assert set(broken[CERT]["managed"]["domainStatus"].values()) == {"FAILED_NOT_VISIBLE"}
    assert "vpcAccess" in healthy[RUN]["template"]
    assert "vpcAccess" not in broken[RUN]["template"]
