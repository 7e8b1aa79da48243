"""A person's own pulse score is never sent to a webhook (docs/security.md): the fan-out
leaves ``retro.pulse_scored`` out, while the same retro's other events go to a webhook that
asked for ``retro.*``. On the in-memory store (the registry's choice alone)."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

from eventsourcing.utils import get_topic

from ledger.domain import Retro
from tests.factories import TODAY, koers, pinned_clock
from workers._decode import Event
from workers._hooks import Hook, Registry


def test_the_fan_out_sends_a_retros_events_but_never_a_persons_own_score() -> None:
    with koers() as app, pinned_clock():
        app.add_person(actor="admin", handle="ann", name="Ann")
        app.add_team(actor="admin", slug="platform", name="Platform")
        app.set_member("platform", actor="admin", handle="ann", role="lead")
        retro = app.hold_retro(actor="ann", team="platform", period="S1", held_on=TODAY).id
        app.add_retro_item(retro, actor="ann", kind="idea", text="Pair")
        app.give_pulse_score(retro, actor="ann", dimension="workload", score=2)
        registry = Registry(app)
        hook = Hook(uuid4(), "ann", "https://example.org/hook", ("retro.*",), None, 0, "s")
        registry._hooks = {hook.id: hook}
        events = [
            Event(
                seq=n,
                subject=f"ledger.retro.{retro}.{name}",
                kind="retro",
                type=name,
                aggregate_id=retro,
                version=n,
                payload={},
                stored_at=datetime.now(UTC),
                topic=get_topic(cls),
            )
            for n, (name, cls) in enumerate(
                (("item_added", Retro.ItemAdded), ("pulse_scored", Retro.PulseScored)), 2
            )
        ]
        sent = registry.recipients(events)
    assert sent == {2: [hook]}  # the item; not the score
