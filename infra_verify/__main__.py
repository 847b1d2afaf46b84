"""``python -m infra_verify`` → the CLI."""

from infra_verify.cli import main

raise SystemExit(main())
