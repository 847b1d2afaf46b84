"""Performance regression guards: ratios only, never absolute times."""
