"""The "adding a check kind" example in docs/architecture.md is real code that works."""

from __future__ import annotations

import asyncio
import re
import sys
import types
from pathlib import Path

import pytest

from infra_verify.context import CheckContext
from infra_verify.gate import Gate
from infra_verify.model import Status

DOC = Path(__file__).resolve().parents[2] / "docs" / "architecture.md"


@pytest.fixture(scope="module")
def banner() -> types.ModuleType:
    """The example module, executed from the document's code block."""
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    (code,) = [b for b in blocks if b.startswith("# infra_verify/checks/banner.py")]
    module = types.ModuleType("banner_example")
    sys.modules[module.__name__] = module  # dataclasses and pydantic look their module up
    exec(compile(code, str(DOC), "exec"), module.__dict__)
    return module


def test_example_judges_plain_data(banner: types.ModuleType) -> None:
    """The example's judge passes a matching banner and fails a refused connection."""
    check = banner.Banner(host="127.0.0.1", port=22, expect="SSH-2.0")
    assert check.judge(banner.BannerObserved("SSH-2.0-OpenSSH_9")).status is Status.PASS
    assert check.judge(banner.BannerObserved(None, refused=True)).status is Status.FAIL
    assert check.judge(banner.BannerObserved("220 smtp")).status is Status.FAIL


def test_example_probes_a_real_server_through_the_gate(banner: types.ModuleType) -> None:
    """Run through the real gate against a TCP server on loopback, the example passes."""

    async def scenario() -> Status:
        async def greet(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            writer.write(b"SSH-2.0-test\r\n")
            await writer.drain()
            writer.close()

        server = await asyncio.start_server(greet, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        async with server:
            check = banner.Banner(host="127.0.0.1", port=port, expect="SSH-2.0", timeout=30)
            gate = Gate([check], context=CheckContext(allow_loopback=True), deadline=60)
            run = await gate.arun()
            return run.results[0].status

    assert asyncio.run(scenario()) is Status.PASS
