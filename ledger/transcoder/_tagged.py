""":class:`OrjsonTranscoder`: the general-purpose tagged transcoder (layer 1 of the package).

Encoding walks the value into a canonical tree of JSON-native values (sorted keys, envelopes
for registered types, sets sorted by their encoded bytes) and hands it to ``orjson.dumps``;
decoding is ``orjson.loads`` plus, when envelopes may be present, a bottom-up revival walk.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import orjson
from eventsourcing.persistence import (
    DatetimeAsISO,
    Transcoder,
    Transcoding,
    TranscodingNotRegisteredError,
    UUIDAsHex,
)

from ledger.errors import EncodingError
from ledger.transcoder._errors import (
    SHORT,
    Unregistered,
    Unwritable,
    ValuePath,
    format_path,
    non_finite,
)
from ledger.transcoder._transcodings import (
    BIG_INT,
    ESCAPED_DICT,
    INT_MAX,
    INT_MIN,
    KEYED_DICT,
    RESERVED_NAMES,
    BigIntAsStr,
    DateAsISO,
    FiniteDecimalAsStr,
    FrozensetAsList,
    SetAsList,
    SortedList,
    TupleAsList,
)

__all__ = ["OrjsonTranscoder"]


class OrjsonTranscoder(Transcoder):
    """Tagged JSON via orjson: canonical (same value, same bytes), NaN-safe, lossless.

    Invariants: ``decode(encode(x)) == x`` (same types too) for every value built from
    str/int/float/bool/None, dict with str keys, list, and registered types (tuples, sets,
    frozensets, UUID, Decimal, datetime and date are registered by default); ``encode`` either
    returns bytes or raises ``EncodingError`` (``UnregisteredTypeError`` for unknown types).
    """

    def __init__(self) -> None:
        self.types: dict[type, Transcoding] = {}
        self.names: dict[str, Transcoding] = {BIG_INT: BigIntAsStr()}
        for transcoding in (
            UUIDAsHex(),
            FiniteDecimalAsStr(),
            DatetimeAsISO(),
            DateAsISO(),
            TupleAsList(),
            FrozensetAsList(),
            SetAsList(),
        ):
            self.register(transcoding)

    def register(self, transcoding: Transcoding) -> None:
        """Registers ``transcoding`` for exactly ``transcoding.type`` (not its subclasses)."""
        if transcoding.name in RESERVED_NAMES:
            msg = f"the transcoding name {transcoding.name!r} is reserved; choose another"
            raise ValueError(msg)
        self.types[transcoding.type] = transcoding
        self.names[transcoding.name] = transcoding

    def encode(self, obj: Any) -> bytes:
        """Canonical UTF-8 JSON for ``obj``; raises ``EncodingError`` naming the bad path."""
        return self.encode_as(obj, "the value")

    def encode_as(self, obj: Any, subject: str) -> bytes:
        """As :meth:`encode`; error messages call the value ``subject`` (``event x:Goal.Set``)."""
        try:
            tree = self._walk(obj)
        except Unwritable as e:
            raise e.error(subject) from None
        except RecursionError:
            msg = (
                f"cannot encode {subject} as JSON: it is nested too deeply or contains itself. "
                "Break the cycle, or flatten the structure."
            )
            raise EncodingError(msg) from None
        try:
            return orjson.dumps(tree)
        except orjson.JSONEncodeError as e:  # lone surrogates, or nesting beyond orjson's 254
            where = format_path(_find_bad_str(tree) or [])
            msg = f"cannot encode {subject} as JSON: {where} cannot be written ({e})."
            raise EncodingError(msg) from e

    def decode(self, data: bytes) -> Any:
        """The value :meth:`encode` was given (or what ``JSONTranscoder`` wrote)."""
        raw = data if isinstance(data, bytes) else bytes(data)
        try:
            obj = orjson.loads(raw)
        except orjson.JSONDecodeError as e:
            try:  # the library's JSONTranscoder writes NaN and Infinity as bare tokens
                obj = json.loads(raw)
            except ValueError:
                raise e from None
        if b"_type_" in raw or b"\\u" in raw:
            return self._revive(obj)
        return obj

    # -- encoding walk --------------------------------------------------------------------

    def _walk(self, obj: Any) -> Any:
        """Canonical JSON-native tree for ``obj`` (sorted keys, envelopes for other types)."""
        t = type(obj)
        if t is str or t is bool or obj is None:
            return obj
        if t is dict:
            return self._walk_dict(obj)
        if t is list:
            return self._walk_list(obj)
        if t is int or t is float:
            return _walk_number(obj)
        transcoding = self.types.get(t)
        if transcoding is None:
            raise Unregistered(t)
        data = self._walk(transcoding.encode(obj))
        if isinstance(transcoding, SortedList):
            data.sort(key=orjson.dumps)
        return {"_type_": transcoding.name, "_data_": data}

    def _walk_dict(self, obj: dict[Any, Any]) -> dict[str, Any]:
        if any(type(key) is not str for key in obj):
            return self._walk_keyed_dict(obj)
        out: dict[str, Any] = {}
        for key in _sorted_keys(obj):
            try:
                out[key] = self._walk(obj[key])
            except Unwritable as e:
                e.path.append(key)
                raise
        if len(out) == 2 and "_type_" in out and "_data_" in out:
            return {"_type_": ESCAPED_DICT, "_data_": out}
        return out

    def _walk_keyed_dict(self, obj: dict[Any, Any]) -> dict[str, Any]:
        """A dict with non-str keys (UUIDs, dates, ...): ``[key, value]`` pairs, sorted by the
        encoded key so equal dicts give equal bytes."""
        pairs = []
        for key, value in obj.items():
            encoded_key = self._walk(key)
            try:
                pairs.append((orjson.dumps(encoded_key), [encoded_key, self._walk(value)]))
            except Unwritable as e:
                e.path.append(str(key))
                raise
        pairs.sort(key=lambda pair: pair[0])
        return {"_type_": KEYED_DICT, "_data_": [pair for _, pair in pairs]}

    def _walk_list(self, obj: list[Any]) -> list[Any]:
        out = []
        for i, item in enumerate(obj):
            try:
                out.append(self._walk(item))
            except Unwritable as e:
                e.path.append(i)
                raise
        return out

    # -- decoding walk --------------------------------------------------------------------

    def _revive(self, obj: Any) -> Any:
        """Replaces envelopes, bottom-up, in the freshly parsed ``obj`` (mutated in place)."""
        if type(obj) is dict:
            if len(obj) == 2 and "_type_" in obj and "_data_" in obj:
                return self._revive_envelope(obj["_type_"], obj["_data_"])
            for key, value in obj.items():
                if type(value) is dict or type(value) is list:
                    obj[key] = self._revive(value)
        elif type(obj) is list:
            for i, value in enumerate(obj):
                if type(value) is dict or type(value) is list:
                    obj[i] = self._revive(value)
        return obj

    def _revive_envelope(self, name: Any, data: Any) -> Any:
        if name == ESCAPED_DICT and type(data) is dict:
            for key, value in data.items():
                data[key] = self._revive(value)
            return data
        if name == KEYED_DICT and type(data) is list:
            return {self._revive(key): self._revive(value) for key, value in data}
        transcoding = self.names.get(name) if type(name) is str else None
        if transcoding is None:
            msg = (
                f"Data serialized with name '{name}' is not deserializable. "
                "Please register a custom transcoding for this type."
            )
            raise TranscodingNotRegisteredError(msg)
        return transcoding.decode(self._revive(data))


def _walk_number(obj: float) -> Any:
    """``obj`` (an exact int or float) as JSON: non-finite floats refused, big ints tagged."""
    if type(obj) is float:
        if obj - obj == 0.0:  # false exactly for NaN, inf and -inf
            return obj
        raise non_finite(obj)
    if INT_MIN <= obj <= INT_MAX:
        return obj
    return {"_type_": BIG_INT, "_data_": str(obj)}


def _sorted_keys(obj: dict[Any, Any]) -> Iterable[str]:
    """``obj``'s keys in order, all ``str``; else ``Unwritable`` for the dict itself."""
    for key in obj:
        if type(key) is not str:
            raise Unwritable(
                f"has the key {SHORT.repr(key)} of type {type(key).__qualname__}, "
                "and JSON object keys are strings",
                "Convert the keys to str, or store a list of pairs.",
            )
    return sorted(obj)


def _find_bad_str(tree: Any) -> ValuePath | None:
    """Path (leaf first) to the first str in ``tree`` that is not valid UTF-8, if any."""
    if type(tree) is str:
        try:
            tree.encode("utf-8")
        except UnicodeEncodeError:
            return []
        return None
    items: Iterable[tuple[str | int, Any]] = ()
    if type(tree) is dict:
        items = tree.items()
    elif type(tree) is list:
        items = enumerate(tree)
    for seg, value in items:
        found = _find_bad_str(seg) if isinstance(seg, str) else None
        found = found if found is not None else _find_bad_str(value)
        if found is not None:
            return [*found, seg]
    return None
