"""Every page of the web app, as ``tests/web/test_every_page.py`` visits it: axe-core, phone
width, escaping, security headers, and the tour's screenshots (``docs/tour``).

Add your page here with ``Page(name, path, handle)``. ``name`` is also the screenshot's file
name (``docs/tour/<name>-desktop.png``, ``-phone.png``), so keep it short and stable: the
README links some of them. ``path`` may hold ``{prompt}`` (a prompt issued to ``handle`` for
the visit) or ``{key_result}`` (the first key result the API lists to ``handle``). ``handle``
is whom the page is viewed as; ``None``: not signed in.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["PAGES", "Page"]


class Page(NamedTuple):
    name: str
    path: str
    handle: str | None = "ann"


PAGES: list[Page] = [
    Page("my-day", "/"),
    Page("reflection", "/reflection"),
    Page("prompt", "/prompt/{prompt}"),
    Page("check-in-form", "/do/check_in?target={key_result}"),
    Page("sign-in", "/", None),
]
