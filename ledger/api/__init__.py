"""The Koers HTTP API (FastAPI): every command, every read, the views, and a page.

``create_api(koers, runner)`` builds the ASGI application over an open ``Koers``
application (and the live views' runner, when running); ``koers serve`` runs it with
uvicorn. The OpenAPI document is at ``/openapi.json``, its rendering at ``/docs``.

The web pages (:mod:`ledger.web`) are served by the same application and share what is
exported here besides ``create_api``: the sessions, who may see a team, the views' reads.
"""

from ledger.api._app import create_api
from ledger.api._audit import open_audit
from ledger.api._auth import COOKIE, Sessions, directory_at_min_position, see_team
from ledger.api._calendar import feed_url
from ledger.api._common import in_thread, koers_of
from ledger.api._problems import ApiProblem
from ledger.api._read_params import parse_moment
from ledger.api._reads import history_rows, visible_states
from ledger.api._signin import set_session, sign_in_page
from ledger.api._views import ViewAt, view_result

__all__ = [
    "COOKIE",
    "ApiProblem",
    "Sessions",
    "ViewAt",
    "create_api",
    "directory_at_min_position",
    "feed_url",
    "history_rows",
    "in_thread",
    "koers_of",
    "open_audit",
    "parse_moment",
    "see_team",
    "set_session",
    "sign_in_page",
    "view_result",
    "visible_states",
]
