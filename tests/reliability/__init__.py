"""Reliability: fault injection, fuzzing, signals, leaks, the guards under hostile input."""
