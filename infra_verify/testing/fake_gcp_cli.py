"""``python -m infra_verify.testing.fake_gcp``: serve a fixture on loopback until Ctrl-C."""

from __future__ import annotations

import argparse
import signal
import threading
from collections.abc import Sequence
from types import FrameType

from infra_verify.testing.fake_gcp import FakeGcp

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Serve a fixture file and print the URL to use as every API endpoint."""
    parser = argparse.ArgumentParser(
        prog="python -m infra_verify.testing.fake_gcp",
        description="Serve a local fake of the GCP REST APIs from a YAML/JSON fixture.",
    )
    parser.add_argument("--fixture", required=True, help="YAML or JSON file of REST resources")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default loopback)")
    parser.add_argument("--port", type=int, default=0, help="port (default: any free port)")
    parser.add_argument("--page-size", type=int, default=None, help="page every list")
    args = parser.parse_args(argv)
    done = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        done.set()

    signal.signal(signal.SIGTERM, _stop)
    with FakeGcp.from_file(
        args.fixture, host=args.host, port=args.port, page_size=args.page_size
    ) as fake:
        print(f"fake GCP serving {args.fixture} at {fake.url}", flush=True)
        print(f"FAKE_GCP_URL={fake.url}", flush=True)
        try:
            while not done.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
    return 0
