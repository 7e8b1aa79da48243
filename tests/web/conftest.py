"""The web pages in a real browser: Debian's Chromium driven by Playwright, against
``koers serve`` on the demo data (a process of its own, with its own embedded nats-server).

The browser is ``$KOERS_CHROMIUM`` or /usr/bin/chromium (``make test`` installs it). Without
it these tests fail, saying how to install it: they never skip. Each page a test opens records
the browser console's errors, and the test fails on any.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.commandline import KOERS, run_koers
from tests.conftest import mark_nats

CHROMIUM = os.environ.get("KOERS_CHROMIUM", "/usr/bin/chromium")
#: Chromium's flags on a machine with no network beyond loopback and no screen.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    mark_nats(items, __file__)


@dataclass
class Site:
    """``koers serve`` on the demo: its address, its environment, a login link per person."""

    url: str
    env: dict[str, str]
    process: subprocess.Popen[str]
    log: Path
    tokens: dict[str, str] = field(default_factory=dict)
    sessions: dict[str, list[Any]] = field(default_factory=dict)
    #: The stream position of the last command sent through :meth:`issue_prompt`: a read that
    #: must see it passes it as ``min_position`` (the views follow the log asynchronously).
    written: int = 0

    def login_link(self, handle: str) -> str:
        made = run_koers("login-link", handle, env=self.env)
        assert made.returncode == 0, made.stderr
        link = made.stdout.strip().splitlines()[-1]
        return re.sub(r"^https?://[^/]+", self.url, link)

    def team_of_its_own(self, slug: str, lead: str, *members: str) -> None:
        """A new team ``slug`` with new people: ``lead`` its lead, ``members`` its members
        (so that a test that fills a team changes no other test's pages)."""
        steps = [("teams", "add", slug, "--name", slug.title())]
        for handle, role in ((lead, "lead"), *((m, "member") for m in members)):
            steps.insert(0, ("people", "add", handle, "--name", handle.title()))
            steps.append(("teams", "member", slug, handle, "--role", role))
        for args in steps:
            done = run_koers(*args, env=self.env)
            assert done.returncode == 0, done.stderr

    def issue_prompt(self, to: str, question: str) -> str:
        """A prompt for ``to``, issued as the workers would (a service token); its id."""
        if "@service" not in self.tokens:
            made = run_koers("token", "create", "ann", "--act-for-others", "--label", "tests",
                             env=self.env)  # fmt: skip
            assert made.returncode == 0, made.stderr
            self.tokens["@service"] = made.stdout.strip().splitlines()[-1]
        with httpx.Client(base_url=self.url, timeout=30) as client:
            issued = client.post(
                "/prompts",
                json={"to": to, "question": question, "kind": "test"},
                headers={"Authorization": f"Bearer {self.tokens['@service']}"},
            )
        assert issued.status_code == 201, issued.text
        prompt_id: str = issued.json()["id"]
        self.written = issued.json()["position"]
        return prompt_id

    def api(self, handle: str) -> httpx.Client:
        """An API client signed in as ``handle`` (a token made once per person)."""
        if handle not in self.tokens:
            made = run_koers("token", "create", handle, env=self.env)
            assert made.returncode == 0, made.stderr
            self.tokens[handle] = made.stdout.strip().splitlines()[-1]
        headers = {"Authorization": f"Bearer {self.tokens[handle]}"}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)

    def api_get(self, handle: str, path: str, **params: Any) -> Any:
        """``GET path`` (with ``params``) as ``handle``: its JSON; anything but 200 fails
        the test, showing the answer."""
        with self.api(handle) as api:
            answer = api.get(path, params=params or None)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def api_post(self, handle: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """``POST path`` as ``handle``: its receipt; anything but 200 or 201 fails the test,
        showing the answer."""
        with self.api(handle) as api:
            answer = api.post(path, json=body)
        assert answer.status_code in (200, 201), answer.text
        receipt: dict[str, Any] = answer.json()
        return receipt


@pytest.fixture(scope="session")
def tour(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the tour's screenshots go: ``KOERS_TOUR_DIR`` (``make tour``: docs/tour, which
    the README links), else a folder of this test run, so a test run leaves the tree as it
    was."""
    chosen = os.environ.get("KOERS_TOUR_DIR")
    return Path(chosen) if chosen else tmp_path_factory.mktemp("tour")


@pytest.fixture(scope="session")
def site() -> Iterator[Site]:
    """The demo, served (one per test process)."""
    with served_demo() as served:
        yield served


@contextmanager
def served_demo() -> Iterator[Site]:
    """``koers demo`` in a new data directory, served by ``koers serve`` until the end."""
    data = Path(tempfile.mkdtemp(prefix="koers-web-"))
    env = {"KOERS_DATA_DIR": str(data), "NATS_URL": "", "KOERS_USER": "ann",
           "KOERS_LOGIN_LINK_MINUTES": "60"}  # fmt: skip
    loaded = run_koers("demo", env=env, timeout=240)
    assert loaded.returncode == 0, loaded.stderr
    log = data / "serve.log"  # a file, not a pipe: a full pipe would stop the server
    with log.open("w") as sink:
        serve = subprocess.Popen([KOERS, "serve", "--port", "0"], env={**os.environ, **env},
                                 stderr=sink, text=True, start_new_session=True)  # fmt: skip
    try:
        match = None
        for _ in range(600):
            match = re.search(r"API and web page at (http://127\.0\.0\.1:\d+) ", log.read_text())
            if match or serve.poll() is not None:
                break
            time.sleep(0.1)
        assert match, log.read_text()
        yield Site(match[1], env, serve, log)
    finally:
        serve.terminate()
        try:
            serve.wait(timeout=30)
        except subprocess.TimeoutExpired:
            serve.kill()
            serve.wait()
        shutil.rmtree(data, ignore_errors=True)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Chromium for one module's tests. Not for the whole session: Playwright's sync API runs
    an event loop in the main thread while it is open, and later tests of the same process
    that call ``asyncio.run`` (the workers' tests) would find it running."""
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"no Chromium at {CHROMIUM}: `make test` installs it (apt-get install chromium), "
            f"or set KOERS_CHROMIUM"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class Visit:
    """A signed-in browser tab and the console errors it saw (``expect(422)`` before loading
    a page that answers 422 on purpose: Chromium reports every such answer as an error)."""

    page: Any
    errors: list[str]
    expected: set[int] = field(default_factory=set)

    def expect(self, *statuses: int) -> None:
        self.expected.update(statuses)

    def unexpected(self) -> list[str]:
        allowed = tuple(f"status of {s} " for s in self.expected)
        return [e for e in self.errors if not any(a in e for a in allowed)]


def new_tab(browser: Any, *, phone: bool = False) -> Visit:
    """A tab in a context of its own (desktop or phone width), not signed in, recording the
    console's errors."""
    context = browser.new_context(viewport=PHONE if phone else DESKTOP)
    page = context.new_page()
    page.set_default_timeout(20_000)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return Visit(page, errors)


@pytest.fixture
def signed_in(site: Site, browser: Any) -> Iterator[Callable[..., Visit]]:
    """``signed_in("ann")``: a new browser context signed in as ann (at desktop width, or
    ``phone=True``; ``expect=[422]`` for a test whose forms are refused on purpose, see
    ``Visit``). The first time per person and test process through a login link, as a
    person does; later contexts get that session's cookies (a login link costs a ``koers``
    process and the landing page). Fails the test on any console error."""
    visits: list[Visit] = []

    def open_as(handle: str, *, phone: bool = False, expect: Iterable[int] = ()) -> Visit:
        visit = new_tab(browser, phone=phone)
        visit.expect(*expect)
        visits.append(visit)
        if handle in site.sessions:
            visit.page.context.add_cookies(site.sessions[handle])
            return visit
        visit.page.goto(site.login_link(handle))
        assert visit.page.url == site.url + "/", visit.page.url
        site.sessions[handle] = visit.page.context.cookies()
        return visit

    yield open_as
    for visit in visits:
        visit.page.context.close()
    problems = [e for v in visits for e in v.unexpected()]
    assert not problems, (
        f"the browser console reported errors: {problems}; the server's "
        f"log ends: {site.log.read_text()[-3000:]}"
    )
