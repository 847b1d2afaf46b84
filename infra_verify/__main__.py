"""``python -m infra_verify`` → the CLI."""

from infra_verify.cli.main import main

raise SystemExit(main())
