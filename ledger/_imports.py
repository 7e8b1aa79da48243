"""A faster start for every Koers process: nats-py loads without aiohttp.

nats-py's transport module imports aiohttp as soon as ``nats`` is imported, for one use only:
connecting to a server over WebSocket (``ws://``), which Koers never does (its settings refuse
such a ``NATS_URL``). Measured (BENCHMARKS.md, "A `koers` process's start"): 0.15-0.2 CPU-s
on a bare import of Koers, ~50 ms in a local ``koers objective list``, where other parts
import much of what aiohttp does. :func:`hide_aiohttp_from_nats` makes
the first load of ``nats.aio.transport`` find no aiohttp; an ``import aiohttp`` anywhere
else, before or after (the webhook sender's), loads the real one as usual. If aiohttp is loaded
before nats, nats-py simply gets it.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
from collections.abc import Sequence
from types import ModuleType

__all__ = ["hide_aiohttp_from_nats"]

_TRANSPORT = "nats.aio.transport"


class _TransportWithoutAiohttp(importlib.abc.MetaPathFinder):
    """Finds ``nats.aio.transport`` as the path finder does; its loader runs the module with
    aiohttp marked missing, unless aiohttp is loaded already."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != _TRANSPORT or "aiohttp" in sys.modules:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        if spec is not None and isinstance(spec.loader, importlib.machinery.SourceFileLoader):
            spec.loader = _Loader(spec.loader.name, spec.loader.path)
        return spec


class _Loader(importlib.machinery.SourceFileLoader):
    def exec_module(self, module: ModuleType) -> None:
        sys.modules["aiohttp"] = None  # type: ignore[assignment]  # "import aiohttp" fails
        try:
            super().exec_module(module)
        finally:
            if sys.modules.get("aiohttp", ...) is None:
                del sys.modules["aiohttp"]


def hide_aiohttp_from_nats() -> None:
    """Install the finder (once; harmless after ``nats`` is loaded: it is then never asked)."""
    if not any(isinstance(finder, _TransportWithoutAiohttp) for finder in sys.meta_path):
        sys.meta_path.insert(0, _TransportWithoutAiohttp())
