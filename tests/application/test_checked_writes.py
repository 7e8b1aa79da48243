"""A write through the command table (:meth:`Koers.execute`, as the API runs it) reads each
aggregate it needs once: the target its access check loaded is where the command's first
attempt starts, and a key result's team (its objective's, which never changes) is read once
per objective. A target that moved on between the check and the save is retried on its new
state, and an ``expected_version`` is only ever compared with a fresh load."""

from __future__ import annotations

import contextvars
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any
from uuid import UUID

import pytest

from ledger.application import Koers, Receipt
from ledger.application._kinds import event_classes
from ledger.domain import COMMANDS, KeyResult, Objective, Principal
from ledger.errors import ConcurrencyConflict, InvalidValue, NotFound, Unauthenticated
from tests.conftest import fresh_env
from tests.factories import ANN, BOB, check_in, koers, new_key_result, new_objective, objective

pytestmark = pytest.mark.usefixtures("clock")

CHECK_IN = COMMANDS["key_result.check_in"]


@pytest.fixture
def app(koers_app: Koers) -> Koers:
    for handle in (ANN, BOB, "cem", "dee"):
        koers_app.add_person(actor="root", handle=handle, name=handle)
    koers_app.add_team(actor="root", slug="platform", name="Platform")
    koers_app.add_team(actor="root", slug="sales", name="Sales")
    koers_app.set_member("platform", actor="root", handle=ANN, role="lead")
    koers_app.set_member("platform", actor="root", handle="dee", role="member")
    koers_app.set_member("sales", actor="root", handle="cem", role="lead")
    return koers_app


@pytest.fixture
def loads(app: Koers, monkeypatch: pytest.MonkeyPatch) -> Counter[UUID]:
    """How often each aggregate was read from the repository (from here on)."""
    counted: Counter[UUID] = Counter()
    get = app.repository.get

    def counting(aggregate_id: UUID, **options: Any) -> Any:
        counted[aggregate_id] += 1
        return get(aggregate_id, **options)

    monkeypatch.setattr(app.repository, "get", counting)
    return counted


def _check_in(app: Koers, kr: UUID, who: str = BOB, **options: Any) -> Receipt:
    values = {k: v for k, v in check_in().items() if k != "as_of"}
    return app.execute(CHECK_IN, kr, values, principal=Principal(who, "t"), **options)


def test_a_checked_write_reads_its_target_once_and_its_objective_once(
    app: Koers, loads: Counter[UUID]
) -> None:
    kr = new_key_result(app)
    objective_id = app.load(KeyResult, kr).objective_id
    loads.clear()
    first = _check_in(app, kr)
    assert (loads[kr], loads[objective_id]) == (1, 1)
    second = _check_in(app, kr)
    assert (loads[kr], loads[objective_id]) == (2, 1)
    assert second.version == first.version + 1
    assert len(app.load(KeyResult, kr).check_ins) == 2


def test_the_access_check_still_holds_with_the_objectives_team_kept(app: Koers) -> None:
    kr = new_key_result(app)  # platform's; bob owns it
    sales_kr = new_key_result(app, objective_id=new_objective(app, team="sales", owner="cem"))
    _check_in(app, kr)  # platform's team is kept from here on
    _check_in(app, kr, who="dee")  # a member of platform: may
    with pytest.raises(NotFound):  # not of platform: not even shown
        _check_in(app, kr, who="cem")
    _check_in(app, sales_kr, who="cem")
    with pytest.raises(NotFound):
        _check_in(app, sales_kr, who="dee")
    assert len(app.load(KeyResult, kr).check_ins) == 2
    assert len(app.load(KeyResult, sales_kr).check_ins) == 1


@pytest.fixture
def raced(app: Koers, monkeypatch: pytest.MonkeyPatch) -> tuple[UUID, int]:
    """A key result and its version; from now on another writer checks in on it after each
    access check loaded it, before the command's first attempt saves."""
    kr = new_key_result(app)
    authorize: Callable[..., Any] = app.authorize

    def then_another_write(*args: Any) -> Any:
        checked = authorize(*args)
        app.check_in(kr, actor=ANN, **check_in(note="meanwhile"))
        return checked

    monkeypatch.setattr(app, "authorize", then_another_write)
    return kr, app.load(KeyResult, kr).version


def test_a_target_that_moved_on_after_its_check_is_retried_on_its_new_state(
    app: Koers, raced: tuple[UUID, int]
) -> None:
    kr, before = raced
    assert _check_in(app, kr).version == before + 2
    notes = sorted(c["note"] for c in app.load(KeyResult, kr).check_ins.values())
    assert notes == ["meanwhile", "two new teams onboarded"]


def test_an_expected_version_is_compared_with_the_target_as_it_is_now(
    app: Koers, raced: tuple[UUID, int]
) -> None:
    kr, before = raced
    with pytest.raises(ConcurrencyConflict) as refused:
        _check_in(app, kr, expected_version=before)  # the check saw it, but it moved on
    assert (refused.value.expected, refused.value.actual) == (before, before + 1)
    # the check sees before + 1, then one more "meanwhile": before + 2 is the version now
    receipt = _check_in(app, kr, expected_version=before + 2)
    assert receipt.version == before + 3
    assert len(app.load(KeyResult, kr).check_ins) == 3


def test_only_an_objectives_first_event_gives_it_a_team() -> None:
    """What :meth:`AccessCommands._objective_team` keeps relies on: no later event of an
    objective can change its team."""
    assert {e for e in event_classes(Objective) if "team" in _fields_of(e)} == {Objective.Set}


def _fields_of(event: type[Any]) -> set[str]:
    names: set[str] = set()
    for klass in event.__mro__:
        names |= set(getattr(klass, "__annotations__", {}))
    return names


class _CountingLock:
    """A lock that counts the threads that came to it (so a test knows they wait)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.arrived = 0
        self.changed = threading.Condition()

    def __enter__(self) -> None:
        with self.changed:
            self.arrived += 1
            self.changed.notify_all()
        self.lock.acquire()

    def __exit__(self, *_: object) -> None:
        self.lock.release()


def test_an_old_directory_is_read_again_once_by_all_who_wait_for_it(
    app: Koers, monkeypatch: pytest.MonkeyPatch
) -> None:
    app.forget_access()
    lock, release, reads = _CountingLock(), threading.Event(), Counter[str]()
    all_of = app.all_of

    def held_read(cls: Any) -> Any:
        reads[cls.__name__] += 1
        assert release.wait(10), "the test did not let the first read finish"
        return all_of(cls)

    monkeypatch.setattr(app, "_access_lock", lock)
    monkeypatch.setattr(app, "all_of", held_read)
    seen: list[Any] = []
    threads = [threading.Thread(target=lambda: seen.append(app.directory())) for _ in range(4)]
    for thread in threads:
        thread.start()
    with lock.changed:
        assert lock.changed.wait_for(lambda: lock.arrived == 4, timeout=10)
    release.set()
    for thread in threads:
        thread.join(10)
    assert reads == {"Person": 1, "Team": 1}
    assert len(seen) == 4
    assert all(d is seen[0] for d in seen)
    assert seen[0].role(ANN, "platform") is not None


def test_a_directory_read_that_began_before_a_change_does_not_outlive_its_forgetting(
    app: Koers, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A directory command forgets the cached directory; a read that was under way (begun
    before the change) must not put its older directory back afterwards."""
    app.forget_access()
    reading, release = threading.Event(), threading.Event()
    all_of = app.all_of

    def slow_read(cls: Any) -> Any:
        reading.set()
        assert release.wait(10), "the test did not let the read finish"
        return all_of(cls)

    monkeypatch.setattr(app, "all_of", slow_read)
    reader = threading.Thread(target=app.directory)
    reader.start()
    assert reading.wait(10)
    forgetting = threading.Thread(target=app.forget_access)  # a directory command, meanwhile
    forgetting.start()
    release.set()
    for thread in (reader, forgetting):
        thread.join(10)
    assert app._directory is None  # forgotten after the read stored it: read again next


def test_a_token_read_that_began_before_its_revocation_is_not_kept(
    app: Koers, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A token read from the store just before the token is revoked (here, held open across
    the revocation) answers its request as it found it, but is not kept: the next request
    with the token is refused at once, not after ``cache_seconds``."""
    app.cache_seconds = 3600.0
    made = app.create_token(actor="root", handle=ANN)
    assert made.secret is not None
    assert made.id is not None
    app.forget_access()
    reading, release = threading.Event(), threading.Event()
    find = app._find

    def slow_find(cls: Any, ident: UUID) -> Any:
        found = find(cls, ident)  # the token as it is before the revocation
        reading.set()
        assert release.wait(10), "the test did not let the read finish"
        return found

    monkeypatch.setattr(app, "_find", slow_find)
    in_this_context = contextvars.copy_context().run  # the test's pinned clock
    reader = threading.Thread(target=in_this_context, args=(app.token_principal, made.secret))
    reader.start()
    assert reading.wait(10)
    monkeypatch.setattr(app, "_find", find)
    app.revoke_token(made.id, actor="root")
    release.set()
    reader.join(10)
    with pytest.raises(Unauthenticated, match="revoked"):
        app.token_principal(made.secret)


def test_a_copy_from_the_cache_shares_nothing_with_the_cached_key_result(app: Koers) -> None:
    """The repository hands each command a deep copy (``KoersAggregate.__deepcopy__``): what
    one command changes, or half changes before it fails, the cached one never sees."""
    kr = new_key_result(app)
    for note in ("one", "two"):
        app.check_in(kr, actor=BOB, **check_in(note=note))
    cached, copied = app.repository.get(kr, deepcopy_from_cache=False), app.load(KeyResult, kr)
    assert copied is not cached
    assert vars(copied) == vars(cached)
    (entry,) = [c for c in copied.check_ins.values() if c["note"] == "one"]
    entry["note"] = "changed"
    copied.commands["k"] = "x"
    assert sorted(c["note"] for c in cached.check_ins.values()) == ["one", "two"]
    assert "k" not in cached.commands
    with pytest.raises(InvalidValue):
        app.check_in(kr, actor=BOB, **check_in(confidence=11))
    assert app.load(KeyResult, kr).version == cached.version == copied.version


@pytest.mark.nats
def test_a_read_at_a_position_reads_the_directory_again_only_for_a_change_by_then() -> None:
    """``directory(at_least)``, ``at_least`` a write's position: read again only when a
    person or team changed after the cached directory was read and at or before that
    position. The change comes from another process here (this one's own directory
    commands forget the directory at once); a read of the log asks, not a whole re-read."""
    env = fresh_env()
    with koers(env) as here, koers(env) as there:
        here.cache_seconds = 3600.0  # only the position decides in this test
        there.add_team(actor="root", slug="platform", name="Platform")
        first = here.directory()
        written = there.set_objective(actor="root", **objective())  # not the directory
        assert here.directory(at_least=written.position) is first
        added = there.add_team(actor="root", slug="ops", name="Ops")
        assert added.position is not None
        assert here.directory(at_least=added.position - 1) is first  # the change comes after
        fresh = here.directory(at_least=added.position)
        assert "ops" in fresh.parents
        assert "ops" not in first.parents
