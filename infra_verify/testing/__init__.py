"""Helpers for tests: real local servers (DNS, PostgreSQL) and a certificate factory."""
