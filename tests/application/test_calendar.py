"""Calendar feeds (``ledger.application._calendar``): the secret link (kept as a hash, replaced
by a new one, revoked) and what a person's feed holds: the demo's review dates, nothing they may
not read, stable items that move instead of doubling. On the in-memory store; the feed as
iCalendar text is parsed with the ``icalendar`` library, as a calendar app would read it."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import icalendar
import pytest

from ledger.api._calendar import _feed
from ledger.application import Koers
from ledger.demo import load_demo
from ledger.domain import CalendarLink, Decision, DecisionStatus, calendar_link_id
from ledger.domain._clock import now
from ledger.errors import NotAllowed, UnknownName
from tests.conftest import fresh_env
from tests.factories import (
    ANN,
    BOB,
    CEM,
    T0,
    check_in,
    koers,
    new_action_item,
    new_decided_decision,
    new_decision,
    new_delegation,
    new_key_result,
    new_retro,
    pinned_clock,
)

BASE = "https://koers.example"


@pytest.fixture
def app() -> Iterator[Koers]:
    """Ann leads platform, Bob is a member of it, Cem a member of sales."""
    with koers() as app, pinned_clock(T0):
        for handle in (ANN, BOB, CEM, "dora"):
            app.add_person(actor="admin", handle=handle, name=handle.title())
        app.add_team(actor="admin", slug="company", name="Company")
        for slug in ("platform", "sales"):
            app.add_team(actor="admin", slug=slug, name=slug.title(), parent="company")
        members = (("platform", ANN, "lead"), ("platform", BOB, "member"),
                   ("sales", CEM, "member"), ("sales", "dora", "lead"))  # fmt: skip
        for slug, handle, role in members:
            app.set_member(slug, actor="admin", handle=handle, role=role)
        yield app


def events_of(text: bytes) -> dict[str, icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(text)
    return {str(e["uid"]): e for e in calendar.walk("VEVENT")}


# -- the link ----------------------------------------------------------------------------------


def test_the_ledger_keeps_only_the_links_sha256(app: Koers) -> None:
    link = app.issue_calendar_link(BOB, actor=ANN)
    assert link.startswith("koers-cal_")
    assert app.calendar_holder(link) == BOB
    [issued] = app.event_history(calendar_link_id(BOB))
    assert isinstance(issued, CalendarLink.Issued)
    assert issued.secret_sha256 == hashlib.sha256(link.encode()).hexdigest()
    secret = link.split("_", 2)[2]  # koers-cal_<id>_<random part, which may hold "_">
    stored = app.recorder.select_notifications(0, 10_000)
    assert not any(secret.encode() in n.state for n in stored)


def test_a_new_link_replaces_the_old_and_a_revoked_link_opens_nothing(app: Koers) -> None:
    first = app.issue_calendar_link(BOB, actor=ANN)
    second = app.issue_calendar_link(BOB, actor=ANN)
    assert (app.calendar_holder(first), app.calendar_holder(second)) == (None, BOB)
    app.revoke_calendar_link(BOB, actor=ANN)
    assert app.calendar_holder(second) is None
    with pytest.raises(NotAllowed, match="revoked already"):
        app.revoke_calendar_link(BOB, actor=ANN)
    third = app.issue_calendar_link(BOB, actor=ANN)
    assert [app.calendar_holder(x) for x in (first, second, third)] == [None, None, BOB]


@pytest.mark.nats  # two application instances on one shared stream, as two processes
def test_links_made_at_once_by_two_processes_leave_exactly_one_that_opens() -> None:
    """Both try the first link at the same moment, then replace it at the same moments: every
    attempt is recorded once (one issued, the rest replaced), and only the last opens."""
    env = fresh_env()
    rounds = 8
    with koers(env) as one, koers(env) as two:
        one.add_person(actor="admin", handle=BOB, name="Bob")
        together = threading.Barrier(2)
        links: list[str] = []
        failures: list[BaseException] = []

        def issue(app: Koers) -> None:
            try:
                for _ in range(rounds):
                    together.wait(timeout=30)
                    links.append(app.issue_calendar_link(BOB, actor="admin"))
            except BaseException as e:  # reported below, in the test's thread
                failures.append(e)

        threads = [threading.Thread(target=issue, args=(app,)) for app in (one, two)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert not failures, failures
        history = one.event_history(calendar_link_id(BOB))
        assert len(links) == len(history) == 2 * rounds
        assert [type(e) for e in history] == [CalendarLink.Issued] + [CalendarLink.Replaced] * (
            2 * rounds - 1
        )
        for app in (one, two):
            opening = [link for link in links if app.calendar_holder(link) == BOB]
            assert [hashlib.sha256(link.encode()).hexdigest() for link in opening] == [
                history[-1].secret_sha256
            ]


@pytest.mark.nats  # two application instances on one shared stream
def test_a_first_link_made_meanwhile_elsewhere_is_replaced_not_lost(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Another process makes the first link between this one's look and its save: the save
    is refused by the store, and this link replaces that one (the later one opens)."""
    env = fresh_env()
    with koers(env) as one, koers(env) as two:
        one.add_person(actor="admin", handle=BOB, name="Bob")
        elsewhere: list[str] = []
        original_save = two.save

        def save(*aggregates: Any, **kwargs: Any) -> Any:
            if not elsewhere:
                elsewhere.append(one.issue_calendar_link(BOB, actor="admin"))
            return original_save(*aggregates, **kwargs)

        monkeypatch.setattr(two, "save", save)
        here = two.issue_calendar_link(BOB, actor="admin")
        history = one.event_history(calendar_link_id(BOB))
        assert [type(e) for e in history] == [CalendarLink.Issued, CalendarLink.Replaced]
        assert (one.calendar_holder(elsewhere[0]), one.calendar_holder(here)) == (None, BOB)


def test_what_is_not_a_current_link_opens_nothing(app: Koers) -> None:
    link = app.issue_calendar_link(BOB, actor=ANN)
    tampered = link[:-4] + ("AAAA" if not link.endswith("AAAA") else "BBBB")
    other = link.replace("koers-cal_", "koers-link_")
    for text in (tampered, other, "koers-cal_nothex_x", "", link + "x"):
        assert app.calendar_holder(text) is None, text


def test_a_link_is_for_a_person_of_the_directory(app: Koers) -> None:
    with pytest.raises(UnknownName):
        app.issue_calendar_link("nobody", actor=ANN)
    with pytest.raises(NotAllowed, match="no calendar link"):
        app.revoke_calendar_link(CEM, actor=ANN)


# -- what the feed holds -----------------------------------------------------------------------


def test_a_feed_holds_each_kind_of_date_as_a_whole_day_or_a_moment(app: Koers) -> None:
    decided = new_decided_decision(app)  # platform, decided by ann, bob consulted
    still_open = new_decision(app, question="Hire a second SRE?")
    kr = new_key_result(app)  # owned by bob, every 7 days
    delegation = new_delegation(app)  # ann to bob
    retro = new_retro(app)  # platform, facilitated by cem
    item = new_action_item(app, retro)  # owned by bob
    feed = events_of(_feed(app, app.issue_calendar_link(BOB, actor=ANN), BASE) or b"")
    review = feed[f"decision-{decided}-review@koers"]
    assert review["dtstart"].dt == app.load(Decision, decided).review_on
    assert review["dtend"].dt == review["dtstart"].dt + timedelta(days=1)  # all day
    assert str(review["url"]) == f"{BASE}/decision/{decided}"
    decide_by = feed[f"decision-{still_open}-decide-by@koers"]
    assert str(decide_by["summary"]) == "Decide: Hire a second SRE?"
    check_in_due = feed[f"key_result-{kr}-check-in@koers"]["dtstart"].dt
    assert isinstance(check_in_due, datetime)
    assert check_in_due == T0 + timedelta(days=7)
    assert f"delegation-{delegation}-check-in@koers" in feed
    assert f"delegation-{delegation}-due@koers" in feed
    assert feed[f"retro-{retro}-held@koers"]["dtstart"].dt == T0.date()
    assert f"retro-{retro}-action-{item}@koers" in feed


def _names(d: Decision, handle: str) -> bool:
    """Whether the decision names the person where that lets them read it."""
    return handle in (d.decider, *d.consulted, d.recommender, d.approver)


def test_the_demos_review_dates_are_on_the_feed_of_each_deciders_team(app: Koers) -> None:
    """And of the decisions of other teams that name the lead where they may read them:
    gijs is consulted on platform's sso-partner and approves its managed-postgres."""
    with koers() as demo:
        load_demo(demo, today=date(2026, 5, 20))
        decisions = demo.all_of(Decision)
        for handle in ("ann", "gijs"):  # the leads of platform and sales
            team = next(iter(demo.directory().teams_of(handle)))
            feed = events_of(_feed(demo, demo.issue_calendar_link(handle, actor="admin"),
                                   BASE) or b"")  # fmt: skip
            shown = {(uid, e["dtstart"].dt) for uid, e in feed.items() if "-review@" in uid}
            decided = (DecisionStatus.DECIDED, DecisionStatus.REVIEWED)
            wanted = {(f"decision-{d.id}-review@koers", d.review_on) for d in decisions
                      if (d.team == team or _names(d, handle)) and d.review_on
                      and d.status in decided}  # fmt: skip
            assert len(wanted) >= 3
            if handle == "gijs":
                assert {d.team for d in decisions if _names(d, handle)} == {"sales", "platform"}
            assert shown == wanted, handle


def test_a_feed_shows_nothing_its_person_may_not_read(app: Koers) -> None:
    """Cem (sales) is named on a platform decision (informed) but may not read it, so it stays
    off his feed; his own team's decision and the platform retro he facilitated are on it."""
    new_decided_decision(app)  # platform's; informs cem
    sales = new_decision(app, team="sales", decider="dora", consulted=(), informed=())
    retro = new_retro(app)  # platform's, facilitated by cem: his to read
    new_action_item(app, retro)  # bob's
    new_key_result(app)  # bob's
    link = app.issue_calendar_link(CEM, actor="admin")
    assert set(events_of(_feed(app, link, BASE) or b"")) == {
        f"decision-{sales}-decide-by@koers",
        f"retro-{retro}-held@koers",
    }


def test_an_item_keeps_its_uid_and_moves_when_its_date_changes(app: Koers) -> None:
    kr = new_key_result(app)
    link = app.issue_calendar_link(BOB, actor=ANN)
    before = _feed(app, link, BASE)
    assert _feed(app, link, BASE) == before  # nothing changed: the same bytes
    with pinned_clock(T0 + timedelta(days=3)):
        app.check_in(kr, actor=BOB, **check_in(as_of=now()))
    uid = f"key_result-{kr}-check-in@koers"
    old, new = events_of(before or b"")[uid], events_of(_feed(app, link, BASE) or b"")[uid]
    assert new["dtstart"].dt == T0 + timedelta(days=3 + 7)
    assert int(new["sequence"]) > int(old["sequence"])


def test_a_lead_above_gets_the_teams_below_only_where_named(app: Koers) -> None:
    """The company's lead may read platform's decisions, but their calendar holds their own
    teams' dates and those naming them, not every team below."""
    app.add_person(actor="admin", handle="erik", name="Erik")
    app.set_member("company", actor="admin", handle="erik", role="lead")
    new_decision(app)  # platform's, not naming erik
    named = new_decision(app, question="Buy the second region?", consulted=("erik",))
    link = app.issue_calendar_link("erik", actor="admin")
    assert set(events_of(_feed(app, link, BASE) or b"")) == {f"decision-{named}-decide-by@koers"}
