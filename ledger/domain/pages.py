"""Where each kind of thing has its web page (``ledger.web``), for links sent elsewhere: in
e-mail and chat (the workers), in calendar feeds (the API). Singular paths are pages; the
plural ones (``/decisions/<id>``) are the JSON API."""

from __future__ import annotations

__all__ = ["PAGE_PATHS", "page_path"]

PAGE_PATHS = {
    "prompt": "/prompt/",
    "decision": "/decision/",
    "key_result": "/key-result/",
    "delegation": "/delegation/",
    "retro": "/retro/",
    "objective": "/objective/",
}


def page_path(kind: str, ident: object) -> str:
    """``/decision/<id>``: the page of a thing of ``kind``."""
    return f"{PAGE_PATHS[kind]}{ident}"
