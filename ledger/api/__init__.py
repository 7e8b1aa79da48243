"""The Koers HTTP API (FastAPI): every command, every read, the views, and a page.

``create_api(koers, runner)`` builds the ASGI application over an open ``Koers``
application (and the live views' runner, when running); ``koers serve`` runs it with
uvicorn. The OpenAPI document is at ``/openapi.json``, its rendering at ``/docs``.
"""

from ledger.api._app import create_api

__all__ = ["create_api"]
