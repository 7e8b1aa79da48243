"""``python -m projections``: the ``koers projections`` commands on their own."""

from ledger.cli._projections import main

main()
