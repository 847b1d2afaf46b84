"""Run policies/staging.yaml against the story's staging stack, offline (fake GCP API + loopback).

python scripts/story.py broken     # the story: exits 1, root causes = DNS records + VPC connector
python scripts/story.py healthy    # the fixed stack: exits 0
python scripts/story.py bad-deploy # the new image's revision fails to start; the old one serves
                                   # /health 200; exits 1 naming the revision and the image
python scripts/story.py broken --format json   (any other CLI flags pass through)
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the local servers live in tests/servers, not in the package


def main(argv: list[str]) -> int:
    """Start the story world, run the staging policy against it, return the CLI's exit code."""
    from infra_verify.cli.main import main as cli_main
    from tests.servers.story_world import StoryWorld

    if not argv or argv[0] not in ("broken", "healthy", "bad-deploy"):
        print(
            "usage: python scripts/story.py broken|healthy|bad-deploy [infra_verify flags]",
            file=sys.stderr,
        )
        return 2
    heal_after = None
    if "--heal-after" in argv:
        i = argv.index("--heal-after")
        heal_after = float(argv[i + 1])
        argv = argv[:i] + argv[i + 2 :]
    with StoryWorld(broken=argv[0] == "broken") as world:
        if heal_after is not None:
            import threading

            threading.Timer(heal_after, world.heal).start()
        if argv[0] == "bad-deploy":
            world.bad_deploy()
        os.environ.update(world.env)
        print(
            f"story world ({argv[0]}): fake GCP API at {world.gcp.url}, DNS at {world.dns.resolver}, HTTPS on 127.0.0.1:{world.web.port}"
        )
        print(f"$ python -m infra_verify staging --allow-loopback {' '.join(argv[1:])}".rstrip())
        return cli_main(
            ["staging", "--policies-dir", str(ROOT / "policies"), "--allow-loopback", *argv[1:]]
        )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
