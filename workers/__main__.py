"""``python -m workers``: the reflection workers alone, like ``koers worker``."""

from ledger.cli._workers import worker

if __name__ == "__main__":
    worker()
