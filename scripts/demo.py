"""Run the offline demo: start the local world, run the gate on policies/demo.yaml, exit with its code.

python scripts/demo.py            # the broken demo: exits 1 and names the root cause
python scripts/demo.py --fixed    # the same world with the DNS record fixed: exits 0
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the local servers live in tests/servers, not in the package


def main(argv: list[str]) -> int:
    """Start the demo world, run the CLI against it, and return the CLI's exit code."""
    from infra_verify.cli.main import main as cli_main
    from tests.servers.demo_world import DemoWorld

    fixed = "--fixed" in argv
    rest = [a for a in argv if a != "--fixed"]
    with DemoWorld(broken=not fixed) as world:
        os.environ.update(world.env)
        print(
            f"demo world: DNS at {world.env['DEMO_RESOLVER']}, HTTPS+WebSocket on 127.0.0.1:{world.env['DEMO_HTTPS_PORT']}"
        )
        print(f"$ python -m infra_verify demo {' '.join(rest)}".rstrip())
        return cli_main(["demo", "--policy", str(ROOT / "policies" / "demo.yaml"), *rest])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
