"""Views kept in memory: serialized images of the view database at positions, so that an "as
of" read can start from one without reading a checkpoint's file, or from a past read's answer.

An image is the bytes of a whole SQLite view database (``sqlite3.Connection.serialize``, or
a checkpoint's file as it is on disk), the views after exactly the events 1..p of the log for
the position p it is kept under, with the time the event at p was recorded (``None``: not
known, or that event was set aside). Images come from two places: a checkpoint read from disk
(:meth:`projections._checkpoints.Checkpoints.open`), and the views an "as of" read rebuilt
(:func:`projections.replay.views_as_of`); both hold what replaying 1..p writes, so an image is
as good a start as a checkpoint, and an answer "as of" p never changes.

Bounds: at most ``KOERSVIEWS_IMAGES_KEPT`` images (default :data:`KEPT`; 0 keeps none) and
``KOERSVIEWS_IMAGES_MB`` megabytes (default :data:`MEGABYTES`) in all, the least recently used
going first; an image larger than the bytes allowed is not kept. They live in one process and
go with it: after a restart the reads start from the checkpoints' files again. A rebuild of
the views forgets them (:meth:`Images.clear`), with the checkpoints they may have come from.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime

__all__ = ["KEPT", "MEGABYTES", "Image", "Images"]

#: Images kept at most, by default.
KEPT = 8
#: Megabytes the images take at most, by default (at 100k events a view file is ~105 MB, two
#: thirds of it the lists' state table: BENCHMARKS.md "View images in memory").
MEGABYTES = 256


@dataclass(frozen=True)
class Image:
    """The views after the events 1..``position``, as the bytes of their database."""

    position: int
    data: bytes
    recorded: datetime | None


class Images:
    """The images of one view file's views, least recently used first out (thread-safe)."""

    def __init__(self, most: int = KEPT, megabytes: int = MEGABYTES) -> None:
        self.most = most
        self.limit = megabytes * 1_000_000
        self._lock = threading.Lock()
        self._kept: OrderedDict[int, Image] = OrderedDict()
        self._bytes = 0

    def nearest(
        self, position: int, *, by: datetime | None = None, upto: int | None = None
    ) -> Image | None:
        """The image at the greatest position at or before ``position`` (``None``: none); with
        ``by`` (an "as of" time), also any up to ``upto`` (``None``: any) whose event was
        recorded at or before ``by``: the last event recorded by then is at or after it."""

        def fits(image: Image) -> bool:
            if image.position <= position:
                return True
            if by is None or image.recorded is None:
                return False
            return (upto is None or image.position <= upto) and image.recorded <= by

        with self._lock:
            below = [p for p, image in self._kept.items() if fits(image)]
            if not below:
                return None
            nearest = max(below)
            self._kept.move_to_end(nearest)
            return self._kept[nearest]

    def keep(self, image: Image) -> None:
        """Keep ``image`` (in place of one at the same position), then drop the least
        recently used ones until the bounds hold."""
        if self.most <= 0 or image.position <= 0 or len(image.data) > self.limit:
            return
        with self._lock:
            old = self._kept.pop(image.position, None)
            self._bytes -= len(old.data) if old is not None else 0
            self._kept[image.position] = image
            self._bytes += len(image.data)
            while len(self._kept) > self.most or self._bytes > self.limit:
                _, gone = self._kept.popitem(last=False)
                self._bytes -= len(gone.data)

    def positions(self) -> list[int]:
        """The positions kept, ascending."""
        with self._lock:
            return sorted(self._kept)

    @property
    def size(self) -> int:
        """The bytes the images take."""
        with self._lock:
            return self._bytes

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()
            self._bytes = 0
