"""``koers``, the command line. ``main`` is the console-script entry point.

The command tree (``app``) is imported on first use, not with this package, so modules
elsewhere (the views' own commands, the workers') can use ``ledger.cli._output`` and
``ledger.cli._common`` without importing every command of ``koers`` first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ledger.cli._app import app

__all__ = ["app", "main"]


def main() -> None:
    from ledger.cli._app import main as run

    run()


def __getattr__(name: str) -> Any:
    if name == "app":
        from ledger.cli._app import app

        return app
    raise AttributeError(name)
