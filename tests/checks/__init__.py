"""Tests of the check kinds: judge on plain data, and probes against real loopback servers."""
