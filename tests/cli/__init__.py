"""Tests of the command-line entry points."""
