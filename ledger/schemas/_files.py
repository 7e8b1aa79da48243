"""The published schema files in ``schemas/`` and their lock, ``schemas/versions.lock``.

- ``<type>.v<N>.json`` for the current version N of every event type is generated;
  files of older versions are published history: kept as they are, never regenerated.
- ``versions.lock`` holds one line ``<type>.v<N> <sha256>`` per published version: the
  fingerprint of the schema's *contract*, every keyword that decides what validates
  (annotations, i.e. ``title``, ``description``, ``$comment`` and ``examples``, are left out,
  so wording can be improved in place). :func:`write` locks each new version the first time
  it writes it and refuses to change a locked one: a new shape needs a new version.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ledger.schemas._build import build_schema
from ledger.schemas._catalogue import EventType, SchemaError, event_types, file_name

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas"
LOCK_NAME = "versions.lock"
_FILE = re.compile(r"(?P<name>[a-z0-9_]+\.[a-z0-9_]+)\.v(?P<version>[1-9][0-9]*)\.json")
_ANNOTATIONS = frozenset({"title", "description", "$comment", "examples"})
_NAME_MAPS = frozenset({"properties", "$defs", "patternProperties", "dependentSchemas"})
_VALUES = frozenset({"enum", "const", "default", "required"})
_LOCK_HEADER = (
    "# Published schema versions: <type>.v<N> <sha256 of the schema less its annotations>.\n"
    "# A locked version never changes; see schemas/README.md.\n"
)


@dataclass(frozen=True)
class Published:
    """A schema file found in the schema directory."""

    name: str
    version: int
    path: Path

    @property
    def key(self) -> str:
        return f"{self.name}.v{self.version}"


def render(schema: dict[str, Any]) -> str:
    """The file text of a schema: two-space indented JSON, keys in the order built."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def _contract(node: Any, names: bool = False) -> Any:
    """``node`` without annotation keywords (object keys under ``properties`` and the like
    are names, not keywords, and are all kept)."""
    if isinstance(node, list):
        return [_contract(item) for item in node]
    if not isinstance(node, dict):
        return node
    if names:
        return {k: _contract(v) for k, v in node.items()}
    return {
        k: v if k in _VALUES else _contract(v, k in _NAME_MAPS)
        for k, v in node.items()
        if k not in _ANNOTATIONS
    }


def fingerprint(schema: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON (sorted keys, no spaces) of the schema's contract."""
    canonical = json.dumps(
        _contract(schema), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def generate() -> dict[str, dict[str, Any]]:
    """File name -> schema, for the current version of every event type."""
    return {event.file_name: build_schema(event) for event in event_types()}


def published(directory: Path = SCHEMA_DIR) -> list[Published]:
    """Every ``<type>.v<N>.json`` in ``directory``."""
    found = []
    for path in sorted(directory.glob("*.json")):
        match = _FILE.fullmatch(path.name)
        if match:
            found.append(Published(match["name"], int(match["version"]), path))
    return found


def read_lock(directory: Path = SCHEMA_DIR) -> dict[str, str]:
    path = directory / LOCK_NAME
    if not path.exists():
        return {}
    lock = {}
    for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split()
        if len(parts) != 2 or len(parts[1]) != 64:
            raise SchemaError(f"{path}:{number}: expected '<type>.v<N> <sha256>', got {line!r}")
        lock[parts[0]] = parts[1]
    return lock


def _write_lock(directory: Path, lock: dict[str, str]) -> None:
    lines = "".join(f"{key} {digest}\n" for key, digest in sorted(lock.items()))
    (directory / LOCK_NAME).write_text(_LOCK_HEADER + lines, "utf-8")


def _changed_published(key: str) -> str:
    return (
        f"{key} is published (in {LOCK_NAME}) and its shape changed. Published versions never "
        f"change: restore the shape, or raise the event's class_version, add an upcaster "
        f"(upcast_vN_vN+1) and run 'python -m ledger.schemas write'"
    )


def write(directory: Path = SCHEMA_DIR) -> tuple[list[str], list[str]]:
    """Write the current schemas; lock new versions and unlocked files of older versions.
    Returns (written, refused): a locked version whose shape changed is refused, not written."""
    directory.mkdir(parents=True, exist_ok=True)
    lock = read_lock(directory)
    written, refused = [], []
    for name, schema in generate().items():
        key, digest = name.removesuffix(".json"), fingerprint(schema)
        if lock.get(key, digest) != digest:
            refused.append(_changed_published(key))
            continue
        lock[key] = digest
        path, text = directory / name, render(schema)
        if not path.exists() or path.read_text("utf-8") != text:
            path.write_text(text, "utf-8")
            written.append(name)
    current = _current(event_types())
    for file in published(directory):  # older versions (e.g. hand-frozen history) not yet locked
        if file.key not in lock and file.version < current.get(file.name, 0):
            lock[file.key] = fingerprint(json.loads(file.path.read_text("utf-8")))
            written.append(f"{LOCK_NAME} (locked {file.key})")
    _write_lock(directory, lock)
    return written, refused


def _current(events: tuple[EventType, ...]) -> dict[str, int]:
    return {e.name: e.version for e in events}


def check(directory: Path = SCHEMA_DIR, diff_lines: int = 40) -> list[str]:
    """Every difference between ``directory`` and the schemas as generated now (empty: none)."""
    problems: list[str] = []
    lock = read_lock(directory)
    current = _current(event_types())
    for name, schema in generate().items():
        path, text = directory / name, render(schema)
        key = name.removesuffix(".json")
        if key in lock and lock[key] != fingerprint(schema):
            problems.append(_changed_published(key))
        if not path.exists():
            problems.append(f"{name} is missing: run 'python -m ledger.schemas write'")
        elif path.read_text("utf-8") != text:
            old = path.read_text("utf-8").splitlines()
            diff = list(
                difflib.unified_diff(old, text.splitlines(), name, "generated", lineterm="")
            )
            shown = "\n".join(diff[:diff_lines]) + ("\n…" if len(diff) > diff_lines else "")
            problems.append(f"{name} differs from the generated schema:\n{shown}")
    files = published(directory)
    for file in files:
        version = current.get(file.name)
        if version is None:
            problems.append(f"{file.path.name}: no event type {file.name} (an orphan)")
        elif file.version > version:
            problems.append(f"{file.path.name}: newer than {file.name}'s class_version {version}")
        elif file.key not in lock:
            problems.append(f"{file.path.name} is not in {LOCK_NAME}: run write to lock it")
        elif lock[file.key] != fingerprint(json.loads(file.path.read_text("utf-8"))):
            problems.append(_changed_published(file.key))
    on_disk = {file.key for file in files}
    problems.extend(
        f"{LOCK_NAME} locks {key} but {key}.json is missing: published versions stay"
        for key in sorted(set(lock) - on_disk)
        if key + ".json" not in {file_name(n, v) for n, v in current.items()}
    )
    return list(dict.fromkeys(problems))
