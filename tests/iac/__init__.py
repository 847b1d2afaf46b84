"""Tests of the Terraform plan check (infra_verify.iac)."""
