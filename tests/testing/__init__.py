"""Tests of infra_verify.testing: the fake GCP API, its fixtures, the certificate factory."""
