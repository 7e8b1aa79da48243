"""``python -m ledger.cli``: the ``koers`` command line (``python -m ledger.cli worker`` runs
the reflection workers alone, ``python -m ledger.cli projections run`` the views)."""

from ledger.cli import main

if __name__ == "__main__":
    main()
