"""View images kept in memory (``projections._images``): bounded by count and bytes, least
recently used out; an "as of" read starting from one (a checkpoint read before, or an earlier
answer) answers what a replay of the whole log answers, at an image, between images and by
time, and reads no event before it; after a restart (none in memory) the answers are the same."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ledger.application import Koers
from ledger.errors import ConfigurationError
from projections import ViewRunner, replay
from projections._checkpoints import images_kept, thinned
from projections._images import Image, Images
from tests.views.test_views_checkpoints import (
    EVERY,
    _from_checkpoints,
    _full,
    _recorded,
    demo,
)

__all__ = ["demo"]  # the fixture, used by name

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _image(position: int, size: int, recorded: datetime | None = None) -> Image:
    return Image(position, bytes(size), recorded)


def test_images_keep_at_most_their_count_and_bytes_least_recently_used_out() -> None:
    """Worked by hand: 3 images, 1 MB. 100, 200, 300 of 300 kB fit (900 kB); reading 100
    makes 200 the least recently used, so a 4th (400) pushes 200 out; one of 500 kB then
    needs 200 kB more than the 1 MB: 300 and 100 (least recent first) go. One larger than
    1 MB is not kept; nor is anything with a count of 0."""
    images = Images(most=3, megabytes=1)
    for p in (100, 200, 300):
        images.keep(_image(p, 300_000))
    assert images.positions() == [100, 200, 300]
    assert images.size == 900_000
    assert images.nearest(150) == _image(100, 300_000)
    images.keep(_image(400, 300_000))
    assert images.positions() == [100, 300, 400]
    images.keep(_image(500, 500_000))
    assert images.positions() == [400, 500]
    assert images.size == 800_000
    images.keep(_image(600, 1_000_001))
    assert images.positions() == [400, 500]
    none = Images(most=0)
    none.keep(_image(1, 10))
    assert none.positions() == []


def test_nearest_by_time_takes_an_image_recorded_by_then_up_to_the_stop() -> None:
    images = Images()
    images.keep(_image(10, 1, T0))
    images.keep(_image(20, 1, T0 + timedelta(hours=1)))
    images.keep(_image(30, 1, None))  # time unknown: only as a position
    assert images.nearest(5) is None
    assert images.nearest(25).position == 20  # type: ignore[union-attr]
    assert images.nearest(5, by=T0 + timedelta(minutes=30)).position == 10  # type: ignore[union-attr]
    assert images.nearest(5, by=T0 + timedelta(hours=2)).position == 20  # type: ignore[union-attr]
    assert images.nearest(5, by=T0 + timedelta(hours=2), upto=15).position == 10  # type: ignore[union-attr]
    assert images.nearest(5, by=T0 - timedelta(seconds=1)) is None


def test_images_settings_are_whole_numbers() -> None:
    assert images_kept({}) == 8
    assert images_kept({"KOERSVIEWS_IMAGES_KEPT": "0"}) == 0
    with pytest.raises(ConfigurationError, match="KOERSVIEWS_IMAGES_KEPT is '-1'"):
        images_kept({"KOERSVIEWS_IMAGES_KEPT": "-1"})


def test_thinned_keeps_the_newest_half_dense() -> None:
    """Worked by hand (every 100, at most 6): the newest 3 (1000, 1100, 1200) stay; the
    9 older (100..900) must fit in 3: one per 200 is 5, one per 400 keeps 100, 400, 800."""
    assert thinned(list(range(100, 1300, 100)), 6, 100) == [200, 300, 500, 600, 700, 900]


def _reads(app: Koers, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The positions each ``select_notifications`` of ``app`` starts at, as they happen."""
    starts: list[int] = []
    select: Callable[..., Any] = app.recorder.select_notifications

    def counted(start: int, *args: Any, **kwargs: Any) -> Any:
        starts.append(start)
        return select(start, *args, **kwargs)

    monkeypatch.setattr(app.recorder, "select_notifications", counted)
    return starts


def test_as_of_from_images_equals_a_full_replay_and_reads_nothing_before_them(
    demo: tuple[dict[str, str], Koers], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env, app = demo
    last = app.recorder.max_notification_id() or 0
    path = tmp_path / "views.sqlite3"
    runner = ViewRunner(env, path, app=app)
    try:
        replay(app, runner.views, stop=EVERY)
        runner.checkpoint()
        replay(app, runner.views)
        first, between = EVERY + 40, EVERY + 70
        reads = _reads(app, monkeypatch)
        assert _from_checkpoints(runner, first)[0] == _full(app, first)
        assert reads[0] == EVERY + 1  # from the checkpoint, read once, kept
        assert runner.checkpoints.images.positions() == [EVERY, first]
        reads.clear()
        again, moment = _from_checkpoints(runner, first)  # the image itself: nothing read
        assert reads == []
        assert again == _full(app, first)
        assert moment == _recorded(app, first)
        reads.clear()
        assert _from_checkpoints(runner, between)[0] == _full(app, between)
        assert reads[0] == first + 1  # from the answer kept before, not the checkpoint
        at = _recorded(app, between)  # by time: the image of `between` was recorded by then
        reads.clear()
        got, as_of = _from_checkpoints(runner, at=at)
        assert (got, as_of) == (_full(app, at=at), at)
        assert reads[0] == between + 1, reads  # from the image of `between`
        earlier = _recorded(app, first) - timedelta(microseconds=1)
        assert _from_checkpoints(runner, at=earlier)[0] == _full(app, at=earlier)
        assert _from_checkpoints(runner, last)[0] == _full(app, last)
    finally:
        runner.close()
    again_runner = ViewRunner(env, path, app=app)  # a restart: nothing in memory
    try:
        assert again_runner.checkpoints.images.positions() == []
        for p in (EVERY, first, between):
            assert _from_checkpoints(again_runner, p)[0] == _full(app, p)
        assert again_runner.checkpoints.images.positions() == [EVERY, first, between]
    finally:
        again_runner.close()


def test_a_rebuild_forgets_the_images(demo: tuple[dict[str, str], Koers], tmp_path: Path) -> None:
    env, app = demo
    runner = ViewRunner(env, tmp_path / "views.sqlite3", app=app)
    try:
        replay(app, runner.views, stop=EVERY)
        runner.checkpoint()
        _from_checkpoints(runner, EVERY + 5)
        assert runner.checkpoints.images.positions() == [EVERY, EVERY + 5]
        runner.rebuild()
        assert runner.checkpoints.images.positions() == []
        assert _from_checkpoints(runner, EVERY + 5)[0] == _full(app, EVERY + 5)
    finally:
        runner.close()


def test_concurrent_as_of_reads_sharing_images_answer_as_a_full_replay(
    demo: tuple[dict[str, str], Koers], tmp_path: Path
) -> None:
    """Four threads read "as of" positions at and between checkpoints and images at once
    (two images at most, so they are pushed out while others read them): each answer is a
    full replay's, and the bounds hold after."""
    env, app = demo
    env = {**env, "KOERSVIEWS_IMAGES_KEPT": "2"}
    runner = ViewRunner(env, tmp_path / "views.sqlite3", app=app)
    try:
        for stop in (EVERY, 2 * EVERY):
            replay(app, runner.views, stop=stop)
            runner.checkpoint()
        replay(app, runner.views)
        positions = [EVERY - 3, EVERY, EVERY + 9, EVERY + 9, 2 * EVERY + 1, 2 * EVERY + 30]
        expected = {p: _full(app, p) for p in positions}
        with ThreadPoolExecutor(4) as pool:
            got = list(pool.map(lambda p: _from_checkpoints(runner, p)[0], positions * 2))
        assert got == [expected[p] for p in positions * 2]
        assert len(runner.checkpoints.images.positions()) <= 2
    finally:
        runner.close()
