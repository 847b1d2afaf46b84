"""Policy files: load and validate YAML, extends:, ${VAR} interpolation, line numbers, reference."""
