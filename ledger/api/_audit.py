"""The audit trail over HTTP: the auditor's view of decisions, and the latest checkpoint.

Mount it in the API with ``api.include_router(ledger.api._audit.router)``. It reads through
the application's own NATS connection (``request.app.state.koers``), in a worker thread, and
trusts what the audit settings the API was built with say (``request.app.state.audit``,
read once at start, not on every request).

- ``GET /audit/decisions?team=…``: every decision, who decided what when, on which options,
  criteria and information, the stream positions of its events and the signed checkpoint
  that covers them (the same as ``koers audit log --json``);
- ``GET /audit/checkpoint``: the largest signed checkpoint, and the public key to check it.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import anyio.to_thread
import orjson
from fastapi import APIRouter, Depends, Request

from ledger.api._auth import auditor
from ledger.api._schema import READ_ERRORS
from ledger.audit._store import AuditStore
from ledger.audit._verify import Trust
from ledger.audit.auditlog import decision_log, latest_signed
from ledger.audit.startup import trust_for
from ledger.nats._keys import key_id, public_key_pem
from ledger.settings import AuditSettings

__all__ = ["open_audit", "router"]

router = APIRouter(tags=["audit"], responses=READ_ERRORS)


def open_audit(request: Request) -> tuple[AuditStore, Trust]:
    """The audit store on the application's connection, and what its settings trust."""
    factory = request.app.state.koers.factory
    store = AuditStore(factory.connection)
    audit: AuditSettings = request.app.state.audit
    return store, trust_for(store.nats, audit)


def _decisions(request: Request, team: str | None) -> dict[str, Any]:
    store, trust = open_audit(request)
    return decision_log(store, trust, team=team).as_dict()


def _checkpoint(request: Request) -> dict[str, Any]:
    store, trust = open_audit(request)
    latest = latest_signed(store, trust)
    return {
        "checkpoint": orjson.loads(latest.to_json()) if latest else None,
        "key_id": key_id(trust.key) if trust.key else None,
        "public_key_pem": public_key_pem(trust.key).decode("ascii") if trust.key else None,
    }


@router.get("/audit/decisions", summary="Decisions, for auditors",
            dependencies=[Depends(auditor)])  # fmt: skip
async def audit_decisions(request: Request, team: str | None = None) -> dict[str, Any]:
    """Every decision as the ledger records it: question, options, criteria, information
    level, who opened and who decided it when, the option chosen, and the reference of its
    proof (the positions of its events and the signed checkpoint covering them; get the
    proofs with `koers audit prove <id>`)."""
    return await anyio.to_thread.run_sync(partial(_decisions, request, team))


@router.get("/audit/checkpoint", summary="The latest signed checkpoint",
            dependencies=[Depends(auditor)])  # fmt: skip
async def audit_checkpoint(request: Request) -> dict[str, Any]:
    """The largest signed checkpoint (size, root, time, key id, Ed25519 signature) and the
    public key (PEM) to check it with."""
    return await anyio.to_thread.run_sync(partial(_checkpoint, request))
