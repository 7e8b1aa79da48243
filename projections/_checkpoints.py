"""View checkpoints: copies of the whole view database at positions, so that a view "as of"
a past position replays only the tail after the nearest copy, not the whole log.

Invariants (what the "as of" reads rely on):

- **A checkpoint is a committed state of the views.** It is taken with SQLite's ``VACUUM
  INTO`` (one read transaction: a consistent snapshot of every table, the tracking row
  included), so it holds exactly the events 1..p for the position p its own tracking row
  says, whatever the live views did meanwhile. Its file is named after that position.
- **All or nothing on disk.** The copy is written to a temporary name, flushed, and renamed
  into place (``os.replace``); a crash leaves a whole checkpoint or none (a leftover
  temporary file is removed on the next one).
- **Generic over the tables.** The whole database is copied: every table a projection
  handler writes (today's and any added later), the quarantine and the time index
  (:data:`projections._schema.BATCHES`) alike.
- **Rebuilt with the views.** ``ViewRunner.rebuild`` takes checkpoints of the fresh views
  as it replays, and swaps the folder in with the file: the old checkpoints are removed
  first, so a crash mid-swap leaves fewer checkpoints, never ones of other views.

Where: the folder ``<views file>.checkpoints`` beside the view file, one
``<position, 12 digits>.sqlite3`` per checkpoint. How often: every ``KOERSVIEWS_CHECKPOINT_EVERY``
events (default :data:`EVERY`; 0 turns them off). They survive restarts (they are files);
an "as of" read loads one's bytes into a private in-memory database (``deserialize``) and
keeps them in memory for the next reads (:mod:`projections._images`, bounded).

How many: at most ``KOERSVIEWS_CHECKPOINTS_KEPT`` (default :data:`KEPT`). Each is a whole copy
of a file that grows with the log, so keeping all of them would take disk in the square of
the log's length. Past the limit the older ones are thinned (:func:`thinned`): the newest
half stay, one every ``KOERSVIEWS_CHECKPOINT_EVERY`` events over the recent log; the older
ones keep one per stretch of the log, the stretch doubling until they fit. So recent "as of"
reads replay at most ``EVERY`` events, older ones at most the stretch, and the disk they take
stays below ``KOERSVIEWS_CHECKPOINTS_KEPT`` copies of the view file.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import sqlite3
import threading
from bisect import bisect_right
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from ledger.errors import ConfigurationError
from projections import _images
from projections._images import Image, Images
from projections.views import UPSTREAM, KoersViews, memory_views, views_env

__all__ = [
    "EVERY",
    "KEPT",
    "Checkpoints",
    "checkpoint_every",
    "checkpoints_kept",
    "images_kept",
    "images_megabytes",
    "thinned",
]

#: Events between checkpoints, by default: an "as of" read replays at most this many.
EVERY = 2000
#: Checkpoints kept at most, by default (see the module docstring).
KEPT = 24
_NAME = re.compile(r"^(\d{12})\.sqlite3$")


def checkpoint_every(environ: Mapping[str, str] | None) -> int:
    """``KOERSVIEWS_CHECKPOINT_EVERY`` (events between checkpoints; 0: none)."""
    return _whole(environ, "CHECKPOINT_EVERY", EVERY, "of events (0 turns checkpoints off)", 0)


def checkpoints_kept(environ: Mapping[str, str] | None) -> int:
    """``KOERSVIEWS_CHECKPOINTS_KEPT`` (checkpoints kept at most; 2 or more)."""
    return _whole(environ, "CHECKPOINTS_KEPT", KEPT, "of checkpoints, 2 or more", 2)


def images_kept(environ: Mapping[str, str] | None) -> int:
    """``KOERSVIEWS_IMAGES_KEPT`` (view images kept in memory at most, :mod:`projections._images`;
    0: none)."""
    return _whole(environ, "IMAGES_KEPT", _images.KEPT, "of images (0 keeps none)", 0)


def images_megabytes(environ: Mapping[str, str] | None) -> int:
    """``KOERSVIEWS_IMAGES_MB`` (megabytes the view images in memory take at most)."""
    return _whole(environ, "IMAGES_MB", _images.MEGABYTES, "of megabytes", 0)


def _whole(environ: Mapping[str, str] | None, name: str, default: int, what: str, low: int) -> int:
    raw = views_env(environ).get(name) or str(default)
    if not raw.isdigit() or int(raw) < low:
        raise ConfigurationError(f"KOERSVIEWS_{name} is {raw!r}: set it to a whole number {what}")
    return int(raw)


def thinned(kept: list[int], most: int, every: int, recent: int | None = None) -> list[int]:
    """The positions to remove from ``kept`` (ascending) so that at most ``most`` are left.

    The newest ``recent`` (default ``most // 2``; at least 1, which was the rule before recent
    ones were kept dense) always stay: recent positions, where most "as of" reads look, keep
    a checkpoint every ``every`` events. Of the older ones, the
    earliest in each stretch of ``step`` events stays (positions ``p`` with the same
    ``p // step``), ``step`` doubling from ``every`` until they fit in the rest. The sets are
    nested (the earliest of a stretch of 2 × step is the earliest of its first half, and a
    position leaves the newest ones only to join the older ones after every one there), so a
    checkpoint once removed is never wanted again, and the older ones left stay about evenly
    spread over the older part of the log."""
    recent = max(1, most // 2 if recent is None else recent)
    step, older = max(every, 1), kept[:-recent]
    while True:
        chosen = [p for index, p in enumerate(older)
                  if index == 0 or p // step != older[index - 1] // step]  # fmt: skip
        if len(chosen) + recent <= most or len(chosen) <= 1:
            break
        step *= 2
    keep = {*chosen, *kept[-recent:]}
    return [position for position in kept if position not in keep]


class Checkpoints:
    """The checkpoints of one view file (see the module docstring)."""

    def __init__(
        self,
        views_path: str | Path,
        every: int = EVERY,
        most: int = KEPT,
        images: Images | None = None,
    ) -> None:
        self.views_path = Path(views_path)
        #: Views at positions kept in memory (checkpoints read, "as of" answers made).
        self.images = images if images is not None else Images()
        self.folder = self.views_path.with_name(self.views_path.name + ".checkpoints")
        self.every = every
        self.most = most
        self._lock = threading.Lock()  # the cached list of positions
        self._taking = threading.Lock()  # one copy at a time
        self._positions: list[int] | None = None

    def positions(self) -> list[int]:
        """The positions checkpoints are kept at, ascending."""
        with self._lock:
            if self._positions is None:
                self._positions = sorted(_positions_in(self.folder))
            return list(self._positions)

    def at_or_before(self, position: int) -> int | None:
        """The nearest checkpoint at or before ``position`` (``None``: none)."""
        kept = self.positions()
        index = bisect_right(kept, position)
        return kept[index - 1] if index else None

    def due(self, position: int) -> bool:
        """Whether the views at ``position`` are :attr:`every` events past the last one."""
        if self.every <= 0:
            return False
        kept = self.positions()
        return position >= (kept[-1] if kept else 0) + self.every

    def path(self, position: int) -> Path:
        return self.folder / f"{position:012d}.sqlite3"

    def take(self, views: KoersViews) -> int:
        """Copy the committed state of the view file now; returns its position (0: the views
        are empty, nothing kept), then thin the older ones to :attr:`most` (an "as of" read
        that opened one just removed still reads it: the file goes when it is closed). Not
        concurrently with itself (serialised); :meth:`due` and :meth:`positions` do not wait
        for it."""
        statement = str(getattr(views, "select_max_tracking_id_statement", ""))
        with self._taking:
            self.folder.mkdir(mode=0o700, exist_ok=True)
            partial = self.folder / f"taking-{os.getpid()}.tmp"
            with contextlib.suppress(FileNotFoundError):
                partial.unlink()
            try:
                position = _snapshot(self.views_path, partial, statement)
                if position == 0:
                    return 0
                _flush(partial)
                os.replace(partial, self.path(position))
                _flush(self.folder)
            finally:
                with contextlib.suppress(FileNotFoundError):
                    partial.unlink()
            with self._lock:
                self._positions = None
            for old in thinned(self.positions(), self.most, self.every):
                with contextlib.suppress(FileNotFoundError):
                    self.path(old).unlink()
            with self._lock:
                self._positions = None
            return position

    def open(
        self, position: int, *, by: datetime | None = None, upto: int | None = None
    ) -> tuple[Image | None, KoersViews]:
        """The nearest start at or before ``position`` (``None``: none) and in-memory views
        holding it (else empty): a view image kept in memory (:mod:`projections._images`;
        for an "as of" time ``by``, also one up to ``upto`` recorded by then) or a
        checkpoint, whichever is nearer (a checkpoint is read from its file once, then kept
        as an image). A checkpoint thinned away since it was listed gives way to the
        nearest earlier one left."""
        image = self.images.nearest(position, by=by, upto=upto)
        on_disk = self.at_or_before(position)
        while on_disk and (image is None or on_disk > image.position):
            try:
                data = self.path(on_disk).read_bytes()
            except FileNotFoundError:  # thinned away since listed
                with self._lock:
                    self._positions = None
                on_disk = self.at_or_before(on_disk - 1)
            else:
                image = Image(on_disk, data, None)
                self.images.keep(image)
        return image, memory_views(None if image is None else image.data)

    def replace_with(self, fresh: Checkpoints) -> None:
        """Put ``fresh``'s checkpoints (of the rebuilt views) in place of these."""
        with self._taking, self._lock:
            shutil.rmtree(self.folder, ignore_errors=True)
            if fresh.folder.exists():
                os.replace(fresh.folder, self.folder)
            self._positions = None
            self.images.clear()

    def remove(self) -> None:
        with self._taking, self._lock:
            shutil.rmtree(self.folder, ignore_errors=True)
            self._positions = None
            self.images.clear()


def _positions_in(folder: Path) -> list[int]:
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return []
    return [int(m[1]) for m in map(_NAME.match, names) if m]


def _snapshot(views_path: Path, to: Path, max_tracking_id: str) -> int:
    """``VACUUM INTO`` ``to`` (one consistent read of the views); the copy's position
    (``max_tracking_id``: the tracking recorder's own statement for it)."""
    connection = sqlite3.connect(f"file:{views_path}?mode=ro", uri=True)
    try:
        connection.execute("VACUUM INTO ?", (str(to),))
    finally:
        connection.close()
    copy = sqlite3.connect(f"file:{to}?mode=ro", uri=True)
    try:
        row = copy.execute(max_tracking_id, (UPSTREAM,)).fetchone()
    finally:
        copy.close()
    return int(row[0] or 0)


def _flush(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
