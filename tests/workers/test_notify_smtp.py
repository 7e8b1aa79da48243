"""The SMTP sender against a real (local) SMTP server: a connection is kept for the next
send, and one the server closed meanwhile is replaced, the message sent once."""

from __future__ import annotations

from urllib.parse import urlsplit

import anyio

from tests.workers.notify_support import smtp_server
from workers._notices import Item, Notice
from workers._outbox import Delivery
from workers._senders import Mailer


def _delivery(n: int) -> Delivery:
    item = Item(f"Question {n}?", "Why not.", (("Answer", "http://k.test/p"),))
    notice = Notice(f"Question {n}?", "Koers has a question for you.", (item,))
    return Delivery(f"delivery-{n}", "email", "ann@ex.org", "ann", f"prompt-{n}", notice)


def _send(mailer: Mailer, *numbers: int) -> None:
    async def send() -> None:
        for n in numbers:
            await mailer.send(_delivery(n))

    anyio.run(send)


def test_a_connection_is_kept_for_the_next_send_and_replaced_once_the_server_closed_it() -> None:
    with smtp_server() as (url, inbox):
        mailer = Mailer(url, "Koers <koers@ex.org>", "koers.test")
        _send(mailer, 1, 2, 3)
        assert inbox.count() == 3
        assert len(set(inbox.peers)) == 1  # one connection for the three
    port = urlsplit(url).port
    with smtp_server(port) as (_, again):  # the first server closed the kept connection
        _send(mailer, 4)
        mailer.close()
    assert again.ids() == ["<delivery-4@koers.test>"]
    assert inbox.ids() == [f"<delivery-{n}@koers.test>" for n in (1, 2, 3)]
