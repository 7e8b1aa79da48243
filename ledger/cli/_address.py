"""Where ``koers serve`` answers, kept in the data directory while it runs, so a link the
command line prints (``koers login-link``) names the port it really listens on."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from ledger.settings import Settings

__all__ = ["base_url", "serving_at"]

FILE = "serve.url"
DEFAULT = "http://127.0.0.1:8000"


def _file(settings: Settings) -> Path:
    return settings.store.data_dir / FILE


@contextmanager
def serving_at(settings: Settings, url: str) -> Iterator[None]:
    """Record ``url`` as the running server's address until the block ends."""
    place = _file(settings)
    try:
        place.parent.mkdir(parents=True, exist_ok=True)
        place.write_text(url + "\n", encoding="utf-8")
    except OSError:  # a read-only data directory: links then say to set KOERS_PUBLIC_URL
        yield
        return
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            if place.read_text(encoding="utf-8").strip() == url:  # not another serve's
                place.unlink()


def _answers(url: str) -> bool:
    """Whether something listens at ``url`` (a server killed left its file behind)."""
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "", parts.port or 80), timeout=1):
            return True
    except OSError:
        return False


def base_url(settings: Settings) -> tuple[str, bool]:
    """The address links start with: ``KOERS_PUBLIC_URL``, else the running ``koers serve``'s,
    else the default port's. The second value says whether it is a guess (the default)."""
    if settings.api.public_url:
        return settings.api.public_url.rstrip("/"), False
    with contextlib.suppress(OSError):
        recorded = _file(settings).read_text(encoding="utf-8").strip()
        if recorded and _answers(recorded):
            return recorded, False
    port = settings.api.port
    return (f"http://127.0.0.1:{port}" if port else DEFAULT), True
