"""The web pages leaders work in, served by ``koers serve`` on the API's origin.

Server-rendered HTML (Jinja2 templates in ``templates/``) with a little progressive JavaScript
(``static/koers.js``); no build step, nothing loaded from elsewhere. How it fits together:

- **Who**: the session cookie from a one-time login link (:mod:`ledger.web._session`); a
  browser without one gets the sign-in page. Forms carry the session's CSRF token.
- **Reads**: every number comes from the same views and reads as the API's
  (:func:`ledger.api.view_result`), so a page and the JSON never disagree. View pages take
  ``as_of`` (a time) or ``position`` and then show the views as they were.
- **Writes**: every form is made from the command table (:mod:`ledger.web._forms`) and posts
  to ``/do/<command>`` (:mod:`ledger.web._commands`), which runs the command exactly as the
  API does; a field the domain refuses is shown next to the field, any other refusal as a
  banner, never a stack trace. A form's hidden idempotency key makes a double submit count
  once.
- **Charts** are SVG drawn on the server: line charts (key results, KPIs, the retros'
  health pulse) by :mod:`ledger.web._charts`, decision quality's calibration and grid by
  :mod:`ledger.web._quality_charts`; each with a text alternative.
- **Pages**: My day (``_day``), retros (``_retros``), delegations (``_delegations``; one
  thing of the log is read as the API's show route reads it: ``_things``), reflection,
  decisions (``_decisions``, ``_decision_record``) and decision quality (``_quality``).

:func:`install_web` adds the pages to an API application (the composition root does it).
"""

from ledger.web._app import install_web

__all__ = ["install_web"]
