"""Load the demo quarter into a Koers application: plan the story, then run its commands in
time order, each with the domain clock pinned at its moment."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from ledger.demo._cast import PEOPLE, TEAMS
from ledger.demo._decisions import plan_decisions
from ledger.demo._delegations import plan_delegations
from ledger.demo._directory import plan_directory
from ledger.demo._goals import plan_goals
from ledger.demo._plan import Plan, Quarter, Step
from ledger.demo._prompts import plan_prompts
from ledger.demo._retros import plan_retros
from ledger.domain._clock import frozen_at

if TYPE_CHECKING:
    from ledger.application import Koers

__all__ = ["DemoSummary", "demo_plan", "load_demo"]

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class DemoSummary:
    """What :func:`load_demo` did.

    ``created`` commands took effect now; ``already_present`` ones had taken effect in an
    earlier run (their receipts were replayed), so ``created == 0`` on a rerun.
    ``commands`` counts every command by what it does (``"check-in": 112``, ...).
    """

    period: str
    starts: date
    ends: date
    today: date
    teams: tuple[str, ...]
    people: tuple[str, ...]
    created: int
    already_present: int
    commands: dict[str, int]

    @property
    def total(self) -> int:
        return self.created + self.already_present


def demo_plan(today: date) -> list[Step]:
    """Every command of the demo quarter that ended before ``today``, in time order."""
    plan = Plan(Quarter.before(today))
    plan_directory(plan)
    plan_goals(plan)
    plan_delegations(plan)
    plan_decisions(plan)
    plan_retros(plan)
    plan_prompts(plan)
    return plan.steps()


def load_demo(
    app: Koers, *, today: date | None = None, progress: Progress | None = None
) -> DemoSummary:
    """Load a realistic quarter for two teams into ``app``; idempotent and deterministic.

    The quarter is the last calendar quarter that ended before ``today`` (default: the real
    date). The same ``today`` always yields the same events, byte for byte; running it again
    adds nothing. ``progress(done, total)`` is called before the first command and after each.
    """
    today = today or datetime.now(UTC).date()
    steps = demo_plan(today)
    quarter = Quarter.before(today)
    created = replayed = 0
    if progress:
        progress(0, len(steps))
    for done, step in enumerate(steps, start=1):
        with frozen_at(step.at):
            receipt = step.run(app, step.key)
        if receipt.replayed:
            replayed += 1
        else:
            created += 1
        if progress:
            progress(done, len(steps))
    return DemoSummary(
        period=quarter.label,
        starts=quarter.starts,
        ends=quarter.ends,
        today=today,
        teams=TEAMS,
        people=tuple(p.handle for p in PEOPLE),
        created=created,
        already_present=replayed,
        commands=dict(Counter(step.what for step in steps)),
    )
