"""Tests of the GCP check kinds."""
