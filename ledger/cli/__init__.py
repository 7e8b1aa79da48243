"""``koers``, the command line. ``main`` is the console-script entry point."""

from ledger.cli._app import app, main

__all__ = ["app", "main"]
