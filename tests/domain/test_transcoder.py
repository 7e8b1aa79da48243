"""Tests for ledger.transcoder: the library's transcoder contract, canonical bytes, NaN refusal,
type-directed (tag-free) event JSON, upcasting, and a round trip through an Application."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from enum import Enum
from typing import Any, ClassVar, Literal, NewType
from uuid import UUID
from zoneinfo import ZoneInfo

import orjson
import pytest
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import (
    JSONTranscoder,
    Mapper,
    MapperDeserialisationError,
    StoredEvent,
    Transcoder,
    Transcoding,
    TranscodingNotRegisteredError,
    UUIDAsHex,
)
from eventsourcing.tests.persistence import (
    CustomType1AsDict,
    CustomType2AsDict,
    Mydict,
    MyInt,
    MyList,
    MyStr,
    TranscoderTestCase,
)
from eventsourcing.utils import get_topic, resolve_topic

from ledger.errors import ConfigurationError, EncodingError
from ledger.transcoder import EnumAsValue, OrjsonTranscoder, TypedMapper, UnregisteredTypeError

OWNER = UUID("b2723fe2-c01a-40d2-875e-a3aac6a09ff5")
GOAL_ID = UUID("0b6a4c1e-3f5d-4b7a-9c2e-1d8f7a6b5c4d")
CET = timezone(timedelta(hours=1))
WHEN = datetime(2025, 3, 1, 9, 30, tzinfo=CET)


# ---------------------------------------------------------------------------------------------
# The library's transcoder contract, with the transcodings its subclass tests need.


class MydictAsDict(Transcoding):
    type = Mydict
    name = "mydict"

    def encode(self, obj: Mydict[Any, Any]) -> dict[Any, Any]:
        return dict(obj)

    def decode(self, data: dict[Any, Any]) -> Mydict[Any, Any]:
        return Mydict(data)


class MyListAsList(Transcoding):
    type = MyList
    name = "mylist"

    def encode(self, obj: MyList[Any]) -> list[Any]:
        return list(obj)

    def decode(self, data: list[Any]) -> MyList[Any]:
        return MyList(data)


class MyStrAsStr(Transcoding):
    type = MyStr
    name = "mystr"

    def encode(self, obj: MyStr) -> str:
        return str.__str__(obj)

    def decode(self, data: str) -> MyStr:
        return MyStr(data)


class MyIntAsInt(Transcoding):
    type = MyInt
    name = "myint"

    def encode(self, obj: MyInt) -> int:
        return int(obj)

    def decode(self, data: int) -> MyInt:
        return MyInt(data)


class TestOrjsonTranscoderContract(TranscoderTestCase):
    """All 14 of the library's transcoder tests (eventsourcing 9.5.6). The library skips 6 of
    them for its JSONTranscoder (test_tuple, test_mixed, test_dict_subclass, test_list_subclass,
    test_str_subclass, test_int_subclass); OrjsonTranscoder needs no skip."""

    def construct_transcoder(self) -> Transcoder:
        transcoder = OrjsonTranscoder()
        for transcoding in (
            UUIDAsHex(),
            CustomType1AsDict(),
            CustomType2AsDict(),
            MydictAsDict(),
            MyListAsList(),
            MyStrAsStr(),
            MyIntAsInt(),
        ):
            transcoder.register(transcoding)
        return transcoder


# ---------------------------------------------------------------------------------------------
# An example domain, at module level so that type hints resolve.


class Status(Enum):
    OPEN = "open"
    DONE = "done"


class Priority(Enum):
    LOW = 1
    HIGH = 2


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str


@dataclass(frozen=True)
class Milestone:
    title: str
    due: date
    done: bool = False


class Goal(Aggregate):
    @event("Set")
    def __init__(  # noqa: PLR0917 (@event ignores keyword-only defaults, so positional)
        self,
        title: str,
        owner: UUID,
        due: date,
        budget: Money,
        status: Status,
        tags: frozenset[str],
        milestones: tuple[Milestone, ...],
        note: str | None = None,
    ) -> None:
        self.title = title
        self.owner = owner
        self.due = due
        self.budget = budget
        self.status = status
        self.tags = tags
        self.milestones = milestones
        self.note = note

    @event("Reviewed")
    def review(self, at: datetime, score: float, extra: Any) -> None:
        self.reviewed_at = at
        self.score = score
        self.extra = extra


class Account(Aggregate):
    """State of registered/default types only, so snapshots (tagged) work too."""

    @event("Opened")
    def __init__(self, owner: UUID, opened: date, status: Status) -> None:
        self.owner = owner
        self.opened = opened
        self.status = status
        self.balance = Decimal("0.00")
        self.deposits: tuple[Decimal, ...] = ()

    @event("Deposited")
    def deposit(self, amount: Decimal) -> None:
        self.balance += amount
        self.deposits = (*self.deposits, amount)


def goal_set(**changes: Any) -> Goal.Set:
    """One fixed Goal.Set event (every field pinned, so its bytes are fixed)."""
    fields: dict[str, Any] = {
        "originator_id": GOAL_ID,
        "originator_version": 1,
        "timestamp": WHEN,
        "originator_topic": get_topic(Goal),
        "title": "Grow ARR 🚀",
        "owner": OWNER,
        "due": date(2025, 12, 31),
        "budget": Money(Decimal("12500.00"), "EUR"),
        "status": Status.OPEN,
        "tags": frozenset({"q4", "growth"}),
        "milestones": (Milestone("Pilot", date(2025, 6, 30)),),
        "note": None,
    }
    fields.update(changes)
    return Goal.Set(**fields)


@pytest.fixture
def mapper() -> TypedMapper[UUID]:
    return TypedMapper(OrjsonTranscoder())


def roundtrip(mapper: Mapper[UUID], domain_event: Any) -> Any:
    return mapper.to_domain_event(mapper.to_stored_event(domain_event))


# ---------------------------------------------------------------------------------------------
# The stored JSON of typed events.


def test_stored_json_is_plain_sorted_and_tag_free(mapper: TypedMapper[UUID]) -> None:
    stored = mapper.to_stored_event(goal_set())
    assert stored.state == (
        b'{"budget":{"amount":"12500.00","currency":"EUR"},"due":"2025-12-31",'
        b'"milestones":[{"done":false,"due":"2025-06-30","title":"Pilot"}],"note":null,'
        b'"originator_topic":"' + get_topic(Goal).encode() + b'",'
        b'"owner":"b2723fe2-c01a-40d2-875e-a3aac6a09ff5","status":"open",'
        b'"tags":["growth","q4"],"timestamp":"2025-03-01T09:30:00+01:00",'
        b'"title":"Grow ARR \xf0\x9f\x9a\x80"}'
    )
    assert (stored.originator_id, stored.originator_version) == (GOAL_ID, 1)
    copy = mapper.to_domain_event(stored)
    assert vars(copy) == vars(goal_set())
    assert type(copy.budget) is Money
    assert type(copy.tags) is frozenset
    assert type(copy.milestones) is tuple
    assert type(copy.milestones[0]) is Milestone


def test_same_event_same_bytes_whatever_the_insertion_order(mapper: TypedMapper[UUID]) -> None:
    one = goal_set()
    other = goal_set()
    reordered = dict(reversed(list(vars(other).items())))
    object.__setattr__(other, "__dict__", reordered)
    assert list(vars(one)) != list(vars(other))
    assert mapper.to_stored_event(one).state == mapper.to_stored_event(other).state
    transcoder = OrjsonTranscoder()
    assert transcoder.encode({"b": 1, "a": {"d": 2, "c": 3}}) == transcoder.encode(
        {"a": {"c": 3, "d": 2}, "b": 1}
    )


def test_set_order_does_not_depend_on_the_hash_seed() -> None:
    script = (
        "import sys, datetime, uuid; from ledger.transcoder import OrjsonTranscoder;"
        "v = {'s': frozenset(f'k{i}' for i in range(40)), 'x': {str(i) for i in range(40)}};"
        "sys.stdout.write(OrjsonTranscoder().encode(v).hex())"
    )
    outputs = set()
    for seed in ("1", "2", "3"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        run = subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, check=True, text=True
        )
        outputs.add(run.stdout)
    assert len(outputs) == 1


def test_fields_without_a_usable_declaration_fall_back_to_tags(mapper: TypedMapper[UUID]) -> None:
    goal = Goal.Reviewed(
        originator_id=GOAL_ID,
        originator_version=2,
        timestamp=WHEN,
        at=WHEN,
        score=4.5,
        extra={"by": OWNER, "why": ("late", 2)},
    )
    stored = mapper.to_stored_event(goal)
    assert b'"at":"2025-03-01T09:30:00+01:00"' in stored.state
    assert b'"by":{"_type_":"uuid_hex","_data_":"b2723fe2c01a40d2875ea3aac6a09ff5"}' in stored.state
    assert b'"why":{"_type_":"tuple_as_list","_data_":["late",2]}' in stored.state
    assert vars(mapper.to_domain_event(stored)) == vars(goal)


# ---------------------------------------------------------------------------------------------
# NaN and Infinity.

NON_FINITE = [float("nan"), float("inf"), float("-inf"), Decimal("NaN"), Decimal("-Infinity")]


@pytest.mark.parametrize("bad", NON_FINITE, ids=repr)
@pytest.mark.parametrize(
    ("build", "path"),
    [
        (lambda x: x, "the value"),
        (lambda x: {"a": x}, "'a'"),
        (lambda x: {"a": [1, {"b": (0, x)}]}, "'a[1].b[1]'"),
        (lambda x: [{"x y": frozenset({x})}], "'[0][\"x y\"][0]'"),
    ],
)
def test_transcoder_refuses_non_finite_numbers_naming_the_path(
    bad: Any, build: Any, path: str
) -> None:
    with pytest.raises(EncodingError) as caught:
        OrjsonTranscoder().encode(build(bad))
    message = str(caught.value)
    assert f"cannot encode the value as JSON: {path} is " in message
    assert "JSON has no NaN or Infinity" in message


def test_mapper_refuses_non_finite_numbers_in_typed_and_fallback_fields(
    mapper: TypedMapper[UUID],
) -> None:
    reviewed = Goal.Reviewed(
        originator_id=GOAL_ID,
        originator_version=2,
        timestamp=WHEN,
        at=WHEN,
        score=math.nan,
        extra=None,
    )
    topic = get_topic(Goal.Reviewed)
    with pytest.raises(EncodingError, match=f"event {topic} as JSON: 'score' is nan"):
        mapper.to_stored_event(reviewed)
    object.__setattr__(reviewed, "score", 1.0)
    object.__setattr__(reviewed, "extra", {"rows": [[1.0, math.inf]]})
    with pytest.raises(EncodingError, match=r"'extra\.rows\[0\]\[1\]' is inf"):
        mapper.to_stored_event(reviewed)
    budget = Money(Decimal("Infinity"), "EUR")
    with pytest.raises(EncodingError, match=r"'budget\.amount' is Decimal\('Infinity'\)"):
        mapper.to_stored_event(goal_set(budget=budget))


# ---------------------------------------------------------------------------------------------
# Value types.


Code = NewType("Code", str)


@dataclass(frozen=True)
class Measured(Aggregate.Event):
    amount: Decimal
    at: datetime
    count: int
    ratio: float
    label: str
    code: Code
    kind: Literal["a", "b"]
    priority: Priority
    by_owner: dict[UUID, list[Decimal]]
    by_status: dict[Status, int]
    pair: tuple[int, str]
    days: set[date]
    maybe: Milestone | None = None
    seen: ClassVar[int] = 0


def measured(**changes: Any) -> Measured:
    fields: dict[str, Any] = {
        "originator_id": GOAL_ID,
        "originator_version": 3,
        "timestamp": WHEN,
        "amount": Decimal("1.10"),
        "at": WHEN,
        "count": 7,
        "ratio": 0.1,
        "label": "x",
        "code": "c-1",
        "kind": "a",
        "priority": Priority.HIGH,
        "by_owner": {OWNER: [Decimal("1"), Decimal("2.50")]},
        "by_status": {Status.DONE: 2, Status.OPEN: 1},
        "pair": (1, "one"),
        "days": {date(2025, 1, 2), date(2024, 12, 31)},
        "maybe": Milestone("m", date(2025, 1, 1), done=True),
    }
    fields.update(changes)
    return Measured(**fields)


def test_every_declared_type_round_trips_without_tags(mapper: TypedMapper[UUID]) -> None:
    original = measured()
    stored = mapper.to_stored_event(original)
    assert b"_type_" not in stored.state
    assert b'"by_owner":{"b2723fe2-c01a-40d2-875e-a3aac6a09ff5":["1","2.50"]}' in stored.state
    assert b'"by_status":{"done":2,"open":1}' in stored.state
    assert b'"days":["2024-12-31","2025-01-02"]' in stored.state
    assert b'"priority":2' in stored.state
    copy = mapper.to_domain_event(stored)
    assert vars(copy) == vars(original)
    assert {k: type(v) for k, v in vars(copy).items()} == {
        k: type(v) for k, v in vars(original).items()
    }


@pytest.mark.parametrize(
    "amount",
    [
        Decimal("12345678901234567890.123456789012345678901234567890"),
        Decimal("1E+3"),
        Decimal("-0.00"),
        Decimal("0.1000000000000000055511151231257827"),
    ],
)
def test_decimal_precision_is_kept_digit_for_digit(
    mapper: TypedMapper[UUID], amount: Decimal
) -> None:
    copy = roundtrip(mapper, measured(amount=amount))
    assert copy.amount.as_tuple() == amount.as_tuple()
    assert OrjsonTranscoder().decode(OrjsonTranscoder().encode(amount)).as_tuple() == (
        amount.as_tuple()
    )


@pytest.mark.parametrize(
    "at",
    [
        datetime(2025, 3, 30, 1, 59, 59, 999999, tzinfo=ZoneInfo("Europe/Amsterdam")),
        datetime(2025, 7, 1, 12, 0, tzinfo=timezone(timedelta(hours=-3, minutes=-30))),
        datetime(2025, 7, 1, 12, 0, tzinfo=UTC),
    ],
    ids=str,
)
def test_aware_datetimes_keep_their_instant_and_offset(
    mapper: TypedMapper[UUID], at: datetime
) -> None:
    copy = roundtrip(mapper, measured(at=at))
    assert copy.at == at
    assert copy.at.utcoffset() == at.utcoffset()
    assert copy.at.isoformat() == at.isoformat()


def test_naive_datetimes_are_refused_in_typed_fields_and_kept_naive_in_tagged_ones(
    mapper: TypedMapper[UUID],
) -> None:
    naive = datetime(2025, 1, 1, 12, 0)
    with pytest.raises(EncodingError, match=r"'at' is a naive datetime .* timezone-aware"):
        mapper.to_stored_event(measured(at=naive))
    transcoder = OrjsonTranscoder()
    assert transcoder.decode(transcoder.encode(naive)) == naive


@pytest.mark.parametrize(
    ("count", "json"),
    [
        (2**64 - 1, b'"count":18446744073709551615'),
        (-(2**63), b'"count":-9223372036854775808'),
        (2**64, b'"count":"18446744073709551616"'),
        (-(10**40), b'"count":"-' + b"1" + b"0" * 40 + b'"'),
    ],
)
def test_large_ints_round_trip(mapper: TypedMapper[UUID], count: int, json: bytes) -> None:
    stored = mapper.to_stored_event(measured(count=count))
    assert json in stored.state
    assert mapper.to_domain_event(stored).count == count
    transcoder = OrjsonTranscoder()
    assert transcoder.decode(transcoder.encode([count, {"n": count}])) == [count, {"n": count}]


@pytest.mark.parametrize(
    "text", ["🐈 哈哈", "e\u0301", "\x00\x1f\u2028", 'q"\\/', "ñ" * 1000], ids=ascii
)
def test_unicode_round_trips_as_utf8(mapper: TypedMapper[UUID], text: str) -> None:
    stored = mapper.to_stored_event(measured(label=text, by_owner={}))
    assert orjson.loads(stored.state)["label"] == text
    assert roundtrip(mapper, measured(label=text)).label == text
    transcoder = OrjsonTranscoder()
    assert transcoder.decode(transcoder.encode({text: [text]})) == {text: [text]}


def test_lone_surrogates_are_refused_naming_the_path() -> None:
    with pytest.raises(EncodingError, match=r"'a\[1\]' cannot be written"):
        OrjsonTranscoder().encode({"a": ["ok", "\ud800"]})


def test_values_that_do_not_match_their_declaration_are_refused(
    mapper: TypedMapper[UUID],
) -> None:
    with pytest.raises(EncodingError, match="'owner' is declared UUID but holds str"):
        mapper.to_stored_event(goal_set(owner=str(OWNER)))
    with pytest.raises(EncodingError, match=r"'milestones\[0\]\.due' is declared date"):
        mapper.to_stored_event(goal_set(milestones=(Milestone("x", WHEN),)))
    with pytest.raises(EncodingError, match="'label' is declared str but holds Status"):
        mapper.to_stored_event(measured(label=Status.OPEN))


def test_unreadable_stored_values_name_the_field(mapper: TypedMapper[UUID]) -> None:
    stored = mapper.to_stored_event(goal_set())
    bad = stored.state.replace(b'"due":"2025-06-30"', b'"due":"June"')
    corrupt = StoredEvent(stored.originator_id, 1, stored.topic, bad)
    with pytest.raises(MapperDeserialisationError, match=r"'milestones\[0\]\.due' is declared"):
        mapper.to_domain_event(corrupt)


def test_general_transcoder_refuses_unknown_types_and_tags_non_string_keys() -> None:
    transcoder = OrjsonTranscoder()
    with pytest.raises(UnregisteredTypeError) as caught:
        transcoder.encode({"a": [Status.OPEN]})
    assert isinstance(caught.value, TypeError)
    assert caught.value.where == "'a[0]' in the value"
    keyed = {"a": {2: "y", 1: "x", UUID(int=7): "z"}}
    encoded = transcoder.encode(keyed)
    assert encoded == transcoder.encode({"a": {UUID(int=7): "z", 1: "x", 2: "y"}})  # ordered
    assert b'"_type_":"dict_items"' in encoded
    assert transcoder.decode(encoded) == keyed
    transcoder.register(EnumAsValue(Status))
    assert transcoder.decode(transcoder.encode({"a": [Status.OPEN]})) == {"a": [Status.OPEN]}
    with pytest.raises(ValueError, match="reserved"):
        transcoder.register(EnumAsValue(Priority, name="dict"))


def test_envelope_lookalike_dicts_round_trip(mapper: TypedMapper[UUID]) -> None:
    transcoder = OrjsonTranscoder()
    value = {"_type_": "uuid_hex", "_data_": "x"}
    assert transcoder.decode(transcoder.encode(value)) == value
    assert transcoder.decode(transcoder.encode([{"_type_": "dict", "_data_": value}])) == [
        {"_type_": "dict", "_data_": value}
    ]


def test_reads_what_the_library_json_transcoder_wrote() -> None:
    legacy = JSONTranscoder()
    legacy.register(UUIDAsHex())
    value = {"id": OWNER, "n": [1.5, "x"], "nan": math.nan}
    decoded = OrjsonTranscoder().decode(legacy.encode(value))
    assert decoded["id"] == OWNER
    assert decoded["n"] == [1.5, "x"]
    assert math.isnan(decoded["nan"])
    with pytest.raises(TranscodingNotRegisteredError):
        OrjsonTranscoder().decode(b'{"_type_":"nope","_data_":1}')


def test_a_foreign_transcoder_is_a_configuration_error() -> None:
    class Other(Transcoder):
        def encode(self, obj: Any) -> bytes:
            raise NotImplementedError

        def decode(self, data: bytes) -> Any:
            raise NotImplementedError

    with pytest.raises(ConfigurationError, match="TRANSCODER_TOPIC"):
        TypedMapper(Other())


# ---------------------------------------------------------------------------------------------
# Upcasting: upcasters see the stored (JSON) shape; typed conversion uses the current class.


class Rating(Aggregate):
    class Rated(Aggregate.Event):
        score: float
        by: UUID


class RatingV2(Aggregate):
    class Rated(Aggregate.Event):
        class_version = 2
        score: Decimal
        by: UUID
        on: date
        seen_by_upcaster: ClassVar[list[dict[str, Any]]] = []

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            RatingV2.Rated.seen_by_upcaster.append(dict(state))
            state["score"] = repr(state["score"])  # plain JSON for the new declaration...
            state["on"] = date(2024, 1, 1)  # ...or a Python value of the declared type


def test_upcast_v1_to_v2_sees_the_stored_shape_and_decodes_with_v2_types(
    mapper: TypedMapper[UUID],
) -> None:
    v1 = Rating.Rated(
        originator_id=GOAL_ID, originator_version=1, timestamp=WHEN, score=7.5, by=OWNER
    )
    stored_v1 = mapper.to_stored_event(v1)
    assert b"class_version" not in stored_v1.state
    as_v2 = StoredEvent(GOAL_ID, 1, get_topic(RatingV2.Rated), stored_v1.state)
    RatingV2.Rated.seen_by_upcaster.clear()

    upcast = mapper.to_domain_event(as_v2)

    assert RatingV2.Rated.seen_by_upcaster[0]["by"] == str(OWNER)  # the JSON shape
    assert RatingV2.Rated.seen_by_upcaster[0]["score"] == 7.5
    assert isinstance(upcast, RatingV2.Rated)
    assert upcast.score == Decimal("7.5")
    assert upcast.by == OWNER
    assert upcast.on == date(2024, 1, 1)
    stored_v2 = mapper.to_stored_event(upcast)
    assert b'"class_version":2' in stored_v2.state
    assert b'"score":"7.5"' in stored_v2.state
    assert vars(mapper.to_domain_event(stored_v2)) == vars(upcast)


# ---------------------------------------------------------------------------------------------
# Through an Application (POPO persistence).


@pytest.mark.parametrize(
    ("topic", "cls"),
    [
        ("ledger.transcoder:TypedMapper", TypedMapper),
        ("ledger.transcoder:OrjsonTranscoder", OrjsonTranscoder),
    ],
)
def test_the_documented_topics_resolve_to_the_classes(topic: str, cls: type) -> None:
    # MAPPER_TOPIC and TRANSCODER_TOPIC name these; the library resolves them with resolve_topic.
    assert resolve_topic(topic) is cls


class Goals(Application[UUID]):
    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(EnumAsValue(Status))  # TypedMapper takes these over


@pytest.mark.parametrize(
    "env",
    [
        {"MAPPER_TOPIC": "ledger.transcoder:TypedMapper"},
        {
            "MAPPER_TOPIC": "ledger.transcoder:TypedMapper",
            "TRANSCODER_TOPIC": "ledger.transcoder:OrjsonTranscoder",
        },
    ],
    ids=["mapper-only", "mapper-and-transcoder"],
)
def test_application_round_trip(env: dict[str, str]) -> None:
    app = Goals(env={"PERSISTENCE_MODULE": "eventsourcing.popo", **env})
    assert isinstance(app.mapper, TypedMapper)
    goal = Goal(
        title="Ship v1",
        owner=OWNER,
        due=date(2025, 9, 30),
        budget=Money(Decimal("999.99"), "EUR"),
        status=Status.OPEN,
        tags=frozenset({"eng"}),
        milestones=(Milestone("Beta", date(2025, 8, 1)),),
    )
    goal.review(at=WHEN, score=4.5, extra={"notes": ("a", "b")})
    app.save(goal)

    copy = app.repository.get(goal.id)

    for name in ("title", "owner", "due", "budget", "status", "tags", "milestones", "score"):
        assert getattr(copy, name) == getattr(goal, name)
    assert copy.reviewed_at == WHEN
    assert copy.extra == {"notes": ("a", "b")}
    first = app.recorder.select_events(goal.id)[0]
    assert b"_type_" not in first.state
    assert b'"owner":"b2723fe2-c01a-40d2-875e-a3aac6a09ff5"' in first.state


def test_application_snapshots_use_the_tagged_encoding() -> None:
    app = Goals(
        env={
            "PERSISTENCE_MODULE": "eventsourcing.popo",
            "MAPPER_TOPIC": "ledger.transcoder:TypedMapper",
            "IS_SNAPSHOTTING_ENABLED": "y",
        }
    )
    account = Account(owner=OWNER, opened=date(2025, 1, 2), status=Status.OPEN)
    account.deposit(Decimal("10.05"))
    account.deposit(Decimal("0.95"))
    app.save(account)
    app.take_snapshot(account.id)
    assert app.snapshots is not None
    snapshot = app.snapshots.recorder.select_events(account.id)[0]
    assert b'"status":{"_type_":"' + get_topic(Status).encode() in snapshot.state

    copy = app.repository.get(account.id)

    assert copy.balance == Decimal("11.00")
    assert copy.deposits == (Decimal("10.05"), Decimal("0.95"))
    assert copy.status is Status.OPEN
    assert copy.opened == date(2025, 1, 2)


del TranscoderTestCase  # keep the abstract base out of collection
