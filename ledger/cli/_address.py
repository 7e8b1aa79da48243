"""Where ``koers serve`` answers, kept in the data directory while it runs, so a link the
command line prints (``koers login-link``) names the port it really listens on, and a
one-shot command on that data directory works through the running serve
(:func:`running_serve`) instead of starting anything.

Beside the address, the serve keeps a secret of its own (``serve.secret``, mode 0600, made
anew by each serve): the API takes it, from this machine only, as the local administrator's
credential, which the command line on the data's machine is anyway (whoever can read the
data directory can write to the store directly).
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from ledger.settings import Settings, StoreSettings

__all__ = ["base_url", "running_serve", "serving_at"]

FILE = "serve.url"
SECRET = "serve.secret"
DEFAULT = "http://127.0.0.1:8000"


def _file(settings: Settings) -> Path:
    return settings.store.data_dir / FILE


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(text + "\n")
    os.chmod(path, 0o600)


@contextmanager
def serving_at(settings: Settings, url: str, secret: str | None = None) -> Iterator[None]:
    """Record ``url`` as the running server's address (and ``secret``, its local
    administrator's credential) until the block ends."""
    place, kept = _file(settings), settings.store.data_dir / SECRET
    try:
        place.parent.mkdir(parents=True, exist_ok=True)
        if secret is not None:
            _write_private(kept, secret)
        _write_private(place, url)  # the owner's alone, as every file here (any umask)
    except OSError:  # a read-only data directory: links then say to set KOERS_PUBLIC_URL
        yield
        return
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            if place.read_text(encoding="utf-8").strip() == url:  # not another serve's
                place.unlink()
                if secret is not None and kept.read_text(encoding="utf-8").strip() == secret:
                    kept.unlink()


def running_serve(store: StoreSettings) -> tuple[str, str] | None:
    """The address and local secret of the ``koers serve`` running on this data directory
    (an embedded store), or ``None`` when none answers there."""
    if store.url:  # a store elsewhere: the data directory holds no serve
        return None
    try:
        url = (store.data_dir / FILE).read_text(encoding="utf-8").strip()
        secret = (store.data_dir / SECRET).read_text(encoding="utf-8").strip()
    except OSError:
        return None
    if not (url and secret and _answers(url)):
        return None
    return url, secret


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
