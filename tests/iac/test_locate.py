"""Locating a resource address in the .tf files of --tf-dir."""

from __future__ import annotations

from pathlib import Path

from infra_verify.iac.locate import Locator, split_where


def test_locates_a_unique_declaration_and_instance_addresses(tmp_path: Path) -> None:
    """resource "T" "N" found once -> file:line, also for for_each instance addresses."""
    (tmp_path / "dns.tf").write_text(
        '# records\n\nresource "google_dns_record_set" "hosts" {\n  name = "x"\n}\n'
    )
    loc = Locator(tmp_path)
    assert loc.locate('google_dns_record_set.hosts["api"]') == (str(tmp_path / "dns.tf"), 3)
    where = loc.where('google_dns_record_set.hosts["api"]')
    assert where == f'google_dns_record_set.hosts["api"] ({tmp_path / "dns.tf"}:3)'
    assert split_where(where) == ('google_dns_record_set.hosts["api"]', str(tmp_path / "dns.tf"), 3)


def test_ambiguous_module_or_missing_declarations_are_not_located(tmp_path: Path) -> None:
    """Two declarations, module addresses and unknown resources give the bare address."""
    decl = 'resource "google_compute_url_map" "lb" {\n}\n'
    (tmp_path / "a.tf").write_text(decl)
    (tmp_path / "b.tf").write_text(decl)
    loc = Locator(tmp_path)
    assert loc.where("google_compute_url_map.lb") == "google_compute_url_map.lb"
    assert loc.locate("module.net.google_compute_network.vpc") is None
    assert loc.locate("google_compute_network.vpc") is None
    assert Locator(None).where("x.y") == "x.y"
    assert split_where("google_compute_url_map.lb") == ("google_compute_url_map.lb", None, None)
