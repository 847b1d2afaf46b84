"""The garbage collector held off while a policy becomes checks and a graph.

Loading a policy allocates hundreds of thousands of objects that all stay alive (YAML nodes,
the document, the checks, the graph) and creates next to no cyclic garbage. With the collector
on, every young collection walks them again and each full collection walks the whole heap: at
30,000 checks that was two thirds of the load's CPU. ``paused()`` turns automatic collection off
for such a bounded, allocation-heavy step (the input is bounded: ``yaml_lines.MAX_BYTES`` and
``MAX_NODES``) and back on after it, unless the caller had turned it off itself.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """No automatic garbage collection inside the block; the collector's state is restored."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
