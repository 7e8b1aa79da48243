"""``python -m projections``: the ``koers projections`` commands on their own."""

from projections.cli import main

main()
