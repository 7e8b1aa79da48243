"""Snapshots of every kind of aggregate round-trip through the snapshot stream."""

from __future__ import annotations

from datetime import date

import pytest

from ledger.application import Koers
from ledger.application._reads import state_of
from ledger.demo import load_demo
from ledger.domain import AGGREGATES
from tests.conftest import fresh_env

pytestmark = pytest.mark.nats  # snapshots on the stream's snapshot subjects


def test_every_aggregate_of_the_demo_loads_the_same_from_its_snapshot() -> None:
    env = {**fresh_env(), "IS_SNAPSHOTTING_ENABLED": "y", "AGGREGATE_CACHE_MAXSIZE": "0"}
    app = Koers(env=env)
    try:
        load_demo(app, today=date(2026, 5, 20))
        checked = 0
        for cls in AGGREGATES.values():
            for aggregate_id in app.ids_of(cls):
                from_events = state_of(app.load(cls, aggregate_id))
                app.take_snapshot(aggregate_id)
                assert app.snapshots is not None
                assert list(app.snapshots.get(aggregate_id, desc=True, limit=1))
                assert state_of(app.load(cls, aggregate_id)) == from_events
                checked += 1
        assert checked >= 40  # every aggregate the demo made (47 today)
    finally:
        app.close()
