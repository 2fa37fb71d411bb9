"""Running a bulk step without Python's cycle collector."""

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Run the block without the cycle collector, and restore it as it was. For steps that
    allocate many short-lived containers and make no cycles: reference counting frees all
    of it, while each collection the allocations set off walks every object the process
    holds. A cycle made inside the block is freed by the next collection after it."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
