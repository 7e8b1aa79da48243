"""Demo data: a realistic quarter for two leadership teams, loaded through the ordinary
commands of :class:`~ledger.application.Koers`.

The story (a dozen people in "platform" and "sales"): aligned objectives and key results
with weekly check-ins (some on track, some slipping, one retargeted, one dropped), KPIs,
fourteen decisions through one-way and two-way doors (reviewed, overdue for review,
reversed, superseded, one still open; one scored against its criteria by three people, with
a disagree-and-commit; one approved by its approver before the call), delegations at several
levels, two retros per team with a health pulse and action items, and reflection prompts.

Every command carries a fixed idempotency key (``demo/...``) and runs with the domain clock
pinned at its moment in the quarter, so loading is deterministic for a given ``today`` and a
second load adds nothing.
"""

from ledger.demo._cast import PEOPLE, TEAMS, Person
from ledger.demo._loader import DemoSummary, demo_plan, load_demo

__all__ = ["PEOPLE", "TEAMS", "DemoSummary", "Person", "demo_plan", "load_demo"]
