"""``python -m ledger.schemas write|check [DIRECTORY]`` (default directory: ``schemas/``).

- ``write``: write the current schema of every event type, lock new versions; exit 1 if a
  published (locked) version would change.
- ``check``: exit 1 listing every difference between the generated schemas and the files.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ledger.schemas._catalogue import SchemaError
from ledger.schemas._files import SCHEMA_DIR, check, write

USAGE = "usage: python -m ledger.schemas write|check [DIRECTORY]"


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("write", "check") or len(argv) > 2:
        print(USAGE, file=sys.stderr)
        return 2
    directory = Path(argv[1]) if len(argv) > 1 else SCHEMA_DIR
    try:
        if argv[0] == "write":
            written, refused = write(directory)
            for name in written:
                print(f"wrote {directory / name}")
            for problem in refused:
                print(f"refused: {problem}", file=sys.stderr)
            if not written and not refused:
                print(f"{directory}: up to date")
            return 1 if refused else 0
        problems = check(directory)
    except SchemaError as e:
        print(f"ledger.schemas: {e}", file=sys.stderr)
        return 1
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"{len(problems)} difference(s); see schemas/README.md", file=sys.stderr)
        return 1
    print(f"{directory}: every schema matches its event class")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
