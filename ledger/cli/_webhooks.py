"""`koers webhooks …`: add and remove (from the command table), list, failures, test, replay.

On the machine that holds the data these run as its administrator; with ``KOERS_API_URL``
they go through the API with the token's rights (your own webhooks). A test or a replay is
sent by the workers (`koers serve` or `koers worker`), not by this command.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from ledger.cli._commands import add_commands
from ledger.cli._common import (
    Actor,
    DataDir,
    Json,
    actor_of,
    as_json,
    koers_app,
    local_principal,
    parse_uuid,
)
from ledger.cli._output import friendly_errors
from ledger.cli._reads import print_table
from ledger.cli._remote import remote_from_env
from ledger.cli._tree import group
from ledger.domain import COMMANDS
from ledger.webhooks import WebhookDesk

__all__ = ["webhooks"]

webhooks = group("webhooks")
add_commands(webhooks, COMMANDS.of_kind("webhook"))

Remote = Callable[[Any], Any]  # does the work through the API
Local = Callable[[WebhookDesk, Any], Any]  # does it on the local data, as a principal


@contextmanager
def _either(data_dir: Path | None, actor: str | None) -> Iterator[Callable[[Remote, Local], Any]]:
    """Run a remote or a local version of the same work, whichever applies."""
    with friendly_errors():
        remote = remote_from_env()
    if remote is not None:
        with friendly_errors(), remote:
            yield lambda over_api, _: over_api(remote)
        return
    with koers_app(data_dir, writes=True) as app:
        desk = WebhookDesk(app)
        principal = local_principal(actor_of(actor))
        with friendly_errors():
            yield lambda _, here: here(desk, principal)


@webhooks.command("list", epilog="\b\nExample: koers webhooks list --json")
def list_(as_json_output: Json = False, data_dir: DataDir = None) -> None:
    """List webhooks (with KOERS_API_URL: your own), removed ones too; never their secrets."""
    with _either(data_dir, None) as run:
        rows = run(
            lambda api: api.get("/webhooks"),
            lambda desk, who: [_row(h) for h in desk.webhooks(who)],
        )
    if as_json_output:
        as_json(rows)
        return
    print_table(
        [{**r, "events": ",".join(r["events"])} for r in rows],
        ["id", "owner", "url", "events", "team", "removed"],
    )


def _row(hook: Any) -> dict[str, Any]:
    return {"id": str(hook.id), "version": hook.version, "owner": hook.owner, "url": hook.url,
            "events": list(hook.events), "team": hook.team, "label": hook.label,
            "removed": hook.removed, "created_on": hook.created_on}  # fmt: skip


@webhooks.command("failures", epilog="\b\nExample: koers webhooks failures --json")
def failures(as_json_output: Json = False, data_dir: DataDir = None) -> None:
    """List deliveries given up after the retry window (24 h by default) and not delivered
    since, oldest first; `koers webhooks replay <delivery>` sends one again."""
    with _either(data_dir, None) as run:
        rows = run(
            lambda api: api.get("/webhooks/failures"),
            lambda desk, who: [f.as_dict() for f in desk.failures(who)],
        )
    if as_json_output:
        as_json(rows)
        return
    print_table(rows, ["delivery", "webhook_id", "url", "attempts", "failed_at", "last_error"])


@webhooks.command("test", epilog="\b\nExample: koers webhooks test <id>")
def send_test(
    ident: Annotated[str, typer.Argument(metavar="ID", help="The webhook's id.")],
    actor: Actor = None,
    data_dir: DataDir = None,
) -> None:
    """Ask the workers to send the webhook a test delivery (type webhook.test), signed."""
    webhook = parse_uuid(ident)
    with _either(data_dir, actor) as run:
        delivery = run(
            lambda api: api.post(f"/webhooks/{webhook}/test")["delivery"],
            lambda desk, who: desk.test(who, webhook),
        )
    typer.echo(f"queued: test delivery {delivery} to webhook {webhook} (the workers send it)")


@webhooks.command("replay", epilog="\b\nExample: koers webhooks replay msg_4f3c…")
def replay(
    delivery: Annotated[str, typer.Argument(metavar="DELIVERY", help="Its webhook-id.")],
    actor: Actor = None,
    data_dir: DataDir = None,
) -> None:
    """Send a failed delivery again: the same body and webhook-id (receivers dedupe by it)."""
    with _either(data_dir, actor) as run:
        run(
            lambda api: api.post(f"/webhooks/failures/{delivery}/replay"),
            lambda desk, who: desk.replay(who, delivery),
        )
    typer.echo(f"queued: delivery {delivery} again (the workers send it)")
