"""Tests of the package's shape: its public names, its layers, its wheel."""
