"""The ``eventsourcing`` library's own reusable test cases, run against ``ledger.nats``.

Each test gets a stream of its own on the session's real nats-server (see ``conftest``).
Nothing here is skipped.
"""

from __future__ import annotations

import os
import uuid
from typing import Any, ClassVar
from uuid import uuid5

import pytest
from eventsourcing.persistence import (
    AggregateRecorder,
    ApplicationRecorder,
    InfrastructureFactory,
    ProcessRecorder,
    StoredEvent,
    Tracking,
    TrackingRecorder,
)
from eventsourcing.tests.application import ApplicationTestCase, ExampleApplicationTestCase
from eventsourcing.tests.persistence import (
    AggregateRecorderTestCase,
    ApplicationRecorderTestCase,
    InfrastructureFactoryTestCase,
    NonInterleavingNotificationIDsBaseCase,
    ProcessRecorderTestCase,
    TrackingRecorderTestCase,
)
from eventsourcing.tests.projection import (
    AggregateEventCountersProjectionTestCase,
    EventCountersView,
    EventCountersViewTestCase,
    EventSourcedProjectionTestCase,
)
from eventsourcing.utils import Environment

from ledger.nats import (
    NATSAggregateRecorder,
    NATSApplicationRecorder,
    NATSFactory,
    NATSProcessRecorder,
    NATSTrackingRecorder,
)
from tests.conftest import fresh_env
from tests.examples import register_topics

#: The library's cases write these bare topics; in Koers every topic names an event class.
LIBRARY_TOPICS = ("topic", "topic1", "topic2", "topic3", "topic4", "non-interleaving-test-event")


class _FactoryPerTest:
    """Mix-in: a factory on a fresh stream for each test, closed afterwards."""

    factories: list[InfrastructureFactory[Any]]

    def new_factory(self, **extra: str) -> NATSFactory:
        register_topics(*LIBRARY_TOPICS)  # again for each test: some clear the topic cache
        factory = InfrastructureFactory.construct(Environment("", fresh_env(**extra)))
        assert isinstance(factory, NATSFactory)
        if not hasattr(self, "factories"):
            self.factories = []
        self.factories.append(factory)
        return factory

    def tearDown(self) -> None:
        for factory in getattr(self, "factories", []):
            factory.close()
        self.factories = []
        super().tearDown()  # type: ignore[misc]


class TestAggregateRecorder(_FactoryPerTest, AggregateRecorderTestCase):
    def create_recorder(self) -> AggregateRecorder:
        return self.new_factory().aggregate_recorder()


class TestSnapshotRecorder(_FactoryPerTest, AggregateRecorderTestCase):
    def create_recorder(self) -> AggregateRecorder:
        return self.new_factory().aggregate_recorder(purpose="snapshots")


class TestApplicationRecorder(_FactoryPerTest, ApplicationRecorderTestCase[ApplicationRecorder]):
    EXPECT_CONTIGUOUS_NOTIFICATION_IDS = True

    def create_recorder(self) -> ApplicationRecorder:
        return self.new_factory().application_recorder()

    def test_insert_subscribe(self) -> None:
        self.optional_test_insert_subscribe()


class TestConsumerPagedApplicationRecorder(TestApplicationRecorder):
    """The same contract with every ``select_notifications`` read through the paging
    consumer (by default only reads of ``CONSUMER_PAGES_FROM`` or more are)."""

    def create_recorder(self) -> ApplicationRecorder:
        recorder = self.new_factory().application_recorder()
        assert isinstance(recorder, NATSApplicationRecorder)
        recorder.access.consumer_pages_from = 1
        return recorder


class TestTextIdApplicationRecorder(TestApplicationRecorder):
    """The same contract with text aggregate ids (``ORIGINATOR_ID_TYPE=text``)."""

    def new_originator_id(self) -> str:
        return f"team.{uuid.uuid4().hex} ✓"  # dots and non-ASCII: encoded in the subject

    def create_recorder(self) -> ApplicationRecorder:
        return self.new_factory(ORIGINATOR_ID_TYPE="text").application_recorder()


class TestTrackingRecorder(_FactoryPerTest, TrackingRecorderTestCase):
    def create_recorder(self) -> TrackingRecorder:
        return self.new_factory().tracking_recorder()


class TestProcessRecorder(_FactoryPerTest, ProcessRecorderTestCase):
    def create_recorder(self) -> ProcessRecorder:
        return self.new_factory().process_recorder()


class TestConsumerPagedProcessRecorder(TestProcessRecorder):
    """The process recorder's contract with every read through the paging consumer (its
    tracking records on the stream are passed over)."""

    def create_recorder(self) -> ProcessRecorder:
        recorder = self.new_factory().process_recorder()
        assert isinstance(recorder, NATSProcessRecorder)
        recorder.access.consumer_pages_from = 1
        return recorder


class TestNonInterleavingNotificationIDs(_FactoryPerTest, NonInterleavingNotificationIDsBaseCase):
    def create_recorder(self) -> ApplicationRecorder:
        return self.new_factory().application_recorder()


class NATSEventCounters(NATSTrackingRecorder, EventCountersView):
    """A view kept on NATS: each counter is an aggregate whose version is its count.

    Incrementing writes one event *and* the tracking position in one atomic batch, so
    each upstream event is counted exactly once.
    """

    def _count(self, name: str) -> int:
        events = self.access.call(self.access.last(self.scheme.aggregate_filter(_id(name))))
        return 0 if events is None else int(events.headers["Koers-Version"])

    def _incr(self, name: str, tracking: Tracking) -> None:
        event = StoredEvent(_id(name), self._count(name) + 1, "counters:Counter.Incremented", b"{}")
        self.access.write([event], tracking)

    def get_created_event_counter(self) -> int:
        return self._count("created")

    def get_subsequent_event_counter(self) -> int:
        return self._count("subsequent")

    def incr_created_event_counter(self, tracking: Tracking) -> None:
        self._incr("created", tracking)

    def incr_subsequent_event_counter(self, tracking: Tracking) -> None:
        self._incr("subsequent", tracking)


def _id(name: str) -> uuid.UUID:
    return uuid5(uuid.NAMESPACE_URL, f"/counters/{name}")


class TestEventCountersView(_FactoryPerTest, EventCountersViewTestCase):
    def construct_event_counters_view(self) -> EventCountersView:
        return self.new_factory().tracking_recorder(NATSEventCounters)


class TestInfrastructureFactory(_FactoryPerTest, InfrastructureFactoryTestCase[NATSFactory]):
    def expected_factory_class(self) -> type[NATSFactory]:
        return NATSFactory

    def expected_aggregate_recorder_class(self) -> type[AggregateRecorder]:
        return NATSAggregateRecorder

    def expected_application_recorder_class(self) -> type[ApplicationRecorder]:
        return NATSApplicationRecorder

    def expected_tracking_recorder_class(self) -> type[TrackingRecorder]:
        return NATSTrackingRecorder

    def tracking_recorder_subclass(self) -> type[TrackingRecorder]:
        return NATSEventCounters

    def expected_process_recorder_class(self) -> type[ProcessRecorder]:
        return NATSProcessRecorder

    def setUp(self) -> None:
        self.env = Environment("TestCase", fresh_env())
        super().setUp()


class _OsEnviron:
    """Mix-in for library cases that build applications from ``os.environ``."""

    saved: ClassVar[dict[str, str | None]] = {}

    def set_environ(self, values: dict[str, str]) -> None:
        for key, value in values.items():
            self.saved.setdefault(key, os.environ.get(key))
            os.environ[key] = value

    def tearDown(self) -> None:
        for key, value in self.saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self.saved.clear()
        super().tearDown()  # type: ignore[misc]


class TestExampleApplication(_OsEnviron, ExampleApplicationTestCase):
    expected_factory_topic = "ledger.nats.factory:NATSFactory"

    def setUp(self) -> None:
        super().setUp()
        self.set_environ(fresh_env())


class TestApplication(_OsEnviron, ApplicationTestCase):
    """The library's application tests, with ``ledger.nats`` as the default persistence."""

    def setUp(self) -> None:
        super().setUp()
        # The library's contention tests run ten threads in tight get/save loops: with three
        # pytest workers on two cores, the store's loop thread may wait seconds for the GIL
        # (seen once: a write unanswered after 4 s). What they check is that nothing is lost
        # or doubled, not how fast a write is answered, so writes get a longer deadline here.
        self.set_environ(fresh_env(NATS_WRITE_DEADLINE="15"))

    @pytest.mark.filterwarnings("always:'log' is deprecated:DeprecationWarning")
    def test_application_log(self) -> None:
        """The library's own test reads the deprecated ``app.log`` on purpose."""
        super().test_application_log()


class TestAggregateEventCountersProjection(_OsEnviron, AggregateEventCountersProjectionTestCase):
    view_class = NATSEventCounters

    def setUp(self) -> None:
        super().setUp()
        self.env = fresh_env(EVENTCOUNTERS_NATS_STREAM="V" + uuid.uuid4().hex[:12].upper())


class TestEventSourcedProjection(_OsEnviron, EventSourcedProjectionTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.env = fresh_env(COUNTERS_NATS_STREAM="P" + uuid.uuid4().hex[:12].upper())


del (
    AggregateEventCountersProjectionTestCase,
    AggregateRecorderTestCase,
    ApplicationRecorderTestCase,
    ApplicationTestCase,
    EventCountersViewTestCase,
    EventSourcedProjectionTestCase,
    ExampleApplicationTestCase,
    InfrastructureFactoryTestCase,
    NonInterleavingNotificationIDsBaseCase,
    ProcessRecorderTestCase,
    TrackingRecorderTestCase,
)
