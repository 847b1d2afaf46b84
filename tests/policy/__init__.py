"""Tests of policy loading."""
