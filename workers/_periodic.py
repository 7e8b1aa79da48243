"""Periodic prompts: a weekly review, a monthly look-back and a quarterly retro per person.

One global cron schedule per kind (not one per person: new people are included without any
bookkeeping, and the log is read once per tick, not once per person). When it fires, the
handler works out the period, reads that period's events from the ledger, and puts each
person who recorded anything a question built from their own record, e.g.
"3 decisions this week, 2 one-way doors: which would you revisit?".

- The period is the week (ISO, Monday first), month or quarter, in ``KOERS_TIMEZONE``, that
  contains the moment 12 hours before the tick: a Friday-afternoon weekly tick covers this
  week, a tick on the 1st of a month (or quarter) covers the one that just ended.
- The tick's time is the fired message's stored time, so a redelivered tick computes the same
  period, and the prompt key ``<kind>/<person>/<period>`` (``weekly_review/ann/2026-W48``)
  makes it issue nothing twice.
- A person's events are those they recorded (``actor``); the workers' own are left out.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from nats.js import JetStreamContext, api

from ledger.domain import Decision, Reversibility
from ledger.errors import NotFound
from workers._actions import IssuePrompt
from workers._decode import BadMessage, Decoder, Event
from workers._names import Names
from workers._questions import plural
from workers._triggers import Reader

__all__ = ["Activity", "Period", "activities", "period_of", "prompts_for", "scan"]

PROMPT_KINDS = {
    "weekly": "weekly_review",
    "monthly": "monthly_lookback",
    "quarterly": "quarterly_retro",
}
MAX_LINKS = 50
LOW_CONFIDENCE = 4


@dataclass(frozen=True)
class Period:
    kind: str  # weekly, monthly, quarterly
    label: str  # 2026-W48, 2026-11, 2026-Q4
    start: datetime
    end: datetime
    span: str  # "this week", "in November 2026", "in 2026-Q4"


def period_of(kind: str, tick: datetime, zone: ZoneInfo) -> Period:
    local = (tick - timedelta(hours=12)).astimezone(zone)
    day = local.date()
    if kind == "weekly":
        first = day - timedelta(days=day.weekday())
        last = first + timedelta(days=7)
        year, week, _ = first.isocalendar()
        label, span = f"{year}-W{week:02d}", "this week"
    elif kind == "monthly":
        first = day.replace(day=1)
        last = (first + timedelta(days=32)).replace(day=1)
        label, span = f"{first:%Y-%m}", f"in {first:%B %Y}"
    elif kind == "quarterly":
        quarter = (day.month - 1) // 3
        first = day.replace(month=quarter * 3 + 1, day=1)
        last = (first + timedelta(days=95)).replace(day=1)
        label = f"{first.year}-Q{quarter + 1}"
        span = f"in {label}"
    else:
        raise BadMessage(f"no periodic prompt {kind!r} (weekly, monthly or quarterly)")
    start = datetime.combine(first, datetime.min.time(), tzinfo=zone)
    end = datetime.combine(last, datetime.min.time(), tzinfo=zone)
    return Period(kind, label, start.astimezone(UTC), end.astimezone(UTC), span)


async def scan(
    js: JetStreamContext, names: Names, decoder: Decoder, start: datetime, until: datetime
) -> list[Event]:
    """The valid events recorded in [start, until), read from the stream from ``start`` on
    (bad messages are skipped: the ledger consumer dead-letters them)."""
    info = await js.stream_info(names.stream)
    last = info.state.last_seq
    config = api.ConsumerConfig(
        deliver_policy=api.DeliverPolicy.BY_START_TIME,
        opt_start_time=start,
        ack_policy=api.AckPolicy.NONE,
        inactive_threshold=60.0,
        mem_storage=True,
    )
    sub = await js.pull_subscribe(names.ledger_filter, stream=names.stream, config=config)
    events: list[Event] = []
    try:
        seq = 0
        while seq < last:
            try:
                batch = await sub.fetch(500, timeout=2)
            except TimeoutError:
                break
            for msg in batch:
                meta = msg.metadata
                seq = meta.sequence.stream
                try:
                    event = decoder.decode(msg.subject, msg.headers, msg.data, seq, meta.timestamp)
                except BadMessage:
                    continue
                if event is not None and start <= event.timestamp < until:
                    events.append(event)
    finally:
        await sub.unsubscribe()
    return events


@dataclass
class Activity:
    """What one person recorded in a period."""

    decisions: int = 0
    one_way: int = 0
    low_information: int = 0
    reviews: int = 0
    check_ins: int = 0
    low_confidence: int = 0
    delegated: int = 0
    action_items_done: int = 0
    answers: int = 0
    other: int = 0
    links: list[str] = field(default_factory=list)


def activities(
    events: Iterable[Event], reader: Reader, threshold: int, actor: str
) -> dict[str, Activity]:
    """Each person's activity (reads decisions for their reversibility: call from a thread)."""
    people: dict[str, Activity] = {}
    doors: dict[UUID, bool] = {}
    counted = Counter[str]()
    for e in events:
        if e.name == "decision.opened":
            doors[e.aggregate_id] = e.payload["reversibility"] == Reversibility.ONE_WAY.value
        if not e.actor or e.actor == actor:
            continue
        a = people.setdefault(e.actor, Activity())
        counted[e.name] += 1
        if len(a.links) < MAX_LINKS:
            a.links.append(e.link)
        if e.name == "decision.made":
            a.decisions += 1
            a.one_way += _one_way(e.aggregate_id, doors, reader)
            a.low_information += int(e.payload["information_level"]) < threshold
        elif e.name == "decision.reviewed":
            a.reviews += 1
        elif e.name == "key_result.checked_in":
            a.check_ins += 1
            a.low_confidence += int(e.payload["confidence"]) <= LOW_CONFIDENCE
        elif e.name == "delegation.delegated":
            a.delegated += 1
        elif e.name == "retro.action_item_completed":
            a.action_items_done += 1
        elif e.name == "prompt.answered":
            a.answers += 1
        else:
            a.other += 1
    return people


def _one_way(decision_id: UUID, doors: dict[UUID, bool], reader: Reader) -> bool:
    if decision_id not in doors:
        try:
            decision = reader.load(Decision, decision_id)
        except NotFound:
            return False
        doors[decision_id] = decision.reversibility is Reversibility.ONE_WAY
    return doors[decision_id]


_CLOSING = {
    "weekly": "what did you learn, and what will you do differently next week?",
    "monthly": "looking back, what would you do differently with what you know now?",
    "quarterly": "for your retro: what should you keep, stop and start next quarter?",
}


def question(period: Period, a: Activity, threshold: int) -> str:
    """E.g. "3 decisions this week, 2 one-way doors: which would you revisit?"."""
    facts: list[str] = []
    if a.decisions:
        facts.append(plural(a.decisions, "decision"))
        if a.one_way:
            facts.append(plural(a.one_way, "one-way door"))
        if a.low_information:
            facts.append(f"{a.low_information} below {threshold} % information")
    if a.check_ins:
        facts.append(plural(a.check_ins, "check-in"))
        if a.low_confidence:
            facts.append(f"{a.low_confidence} with confidence {LOW_CONFIDENCE} or lower")
    for count, one, many in (
        (a.reviews, "decision review", "decision reviews"),
        (a.delegated, "delegation", "delegations"),
        (a.action_items_done, "action item done", "action items done"),
        (a.answers, "reflection answered", "reflections answered"),
    ):
        if count:
            facts.append(plural(count, one, many))
    if not facts:
        facts.append(f"{plural(a.other, 'change')} recorded")
    facts[0] = f"{facts[0]} {period.span}"
    if a.one_way:
        ask = "which would you revisit?"
    elif a.decisions:
        ask = "which would you decide differently, knowing what you know now?"
    elif a.low_confidence:
        ask = "what would it take to raise your confidence?"
    else:
        ask = _CLOSING[period.kind]
    return f"{', '.join(facts)}: {ask}"[:1000]


def prompts_for(period: Period, people: dict[str, Activity], threshold: int) -> list[IssuePrompt]:
    kind = PROMPT_KINDS[period.kind]
    return [
        IssuePrompt(
            key=f"{kind}/{person}/{period.label}",
            to=person,
            kind=kind,
            question=question(period, activity, threshold),
            triggered_by=(f"{period.kind}:{period.label}", *activity.links),
        )
        for person, activity in sorted(people.items())
    ]
