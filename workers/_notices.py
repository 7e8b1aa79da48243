"""What a notification says, and how each channel says it: pure functions, no I/O.

A :class:`Notice` is the content (a title, a line of context, items each with why it was
asked and links); :func:`email`, :func:`slack` and :func:`teams` render the same notice as
an e-mail (plain text and HTML, user text escaped), a Slack incoming-webhook payload
(``text`` + ``blocks``) and a Microsoft Teams MessageCard.

Links are ``KOERS_PUBLIC_URL`` plus a page's path (:mod:`ledger.domain.pages`): ``/prompt/<id>``
to answer a prompt, and ``/decision/<id>``, ``/key-result/<id>``, ``/delegation/<id>``,
``/retro/<id>`` for what prompted it (a prompt's ``triggered_by`` reads ``<kind>:<id>@<version>``).
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from ledger.domain.pages import PAGE_PATHS, page_path

__all__ = ["Item", "Notice", "email", "links_of", "prompt_item", "slack", "teams"]

#: Web paths of the things a prompt can be about, by the kind in ``triggered_by``.
#: Why a prompt of each kind was asked (others: its kind in words).
WHY = {
    "one_way_low_information": "A one-way-door decision was made with little information.",
    "kr_confidence_drop": "Confidence in a key result you own dropped.",
    "decision_decide_by_due": "A decision you are to make has reached its decide-by date.",
    "decision_review_due": "A decision you made has reached its review date.",
    "kr_check_in_overdue": "A key result you own has missed its check-in cadence.",
    "delegation_check_in_overdue": "A delegation you own has missed its check-in cadence.",
    "action_item_due": "A retro action item you own is due.",
    "delegation_check_in_to_acknowledge": "Someone you delegated to checked in: it waits for "
    "your acknowledgement.",
    "weekly_review": "It is time for your weekly review.",
    "monthly_lookback": "It is time for your monthly look-back.",
    "quarterly_retro": "It is time for your quarterly retro.",
}
SLACK_SECTION = 3000  # characters in one section's text
SLACK_HEADER = 150


@dataclass(frozen=True)
class Item:
    """One thing to tell: a question (or a change), why, and where to act on it."""

    text: str
    why: str
    links: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Notice:
    """A message's content, the same for every channel."""

    title: str
    intro: str
    items: tuple[Item, ...]


def links_of(prompt_id: str, triggered_by: list[str], base: str) -> tuple[tuple[str, str], ...]:
    """The links of a prompt: answer it, then each thing that prompted it."""
    links = [("Answer", base + page_path("prompt", prompt_id))]
    for trigger in triggered_by:
        kind, _, rest = trigger.partition(":")
        ident = rest.partition("@")[0].partition(".")[0]
        if kind in PAGE_PATHS and ident:
            links.append((f"Open the {kind.replace('_', ' ')}", base + page_path(kind, ident)))
    return tuple(links)


def prompt_item(prompt_id: str, payload: dict[str, Any], base: str) -> Item:
    """A prompt (the payload of its ``prompt.issued`` event) as an item."""
    kind = str(payload.get("kind", ""))
    why = WHY.get(kind, f"A {kind.replace('_', ' ')} prompt.")
    return Item(str(payload["question"]), why, links_of(prompt_id, payload["triggered_by"], base))


# -- e-mail -----------------------------------------------------------------------------------


def email(
    notice: Notice,
    *,
    sender: str,
    to: str,
    message_id: str,
    thread: str | None,
    date: datetime,
) -> EmailMessage:
    """The notice as a multipart e-mail (plain text and HTML). ``message_id`` is derived
    from the delivery (a re-send has the same one: receivers dedupe by it); ``thread`` is
    the item's own id, so every message about one item is threaded together."""
    message = EmailMessage()
    message["Subject"] = notice.title
    message["From"] = sender
    message["To"] = to
    message["Date"] = format_datetime(date)
    message["Message-ID"] = message_id
    if thread is not None:
        message["In-Reply-To"] = thread
        message["References"] = thread
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(_plain(notice))
    message.add_alternative(_html(notice), subtype="html")
    return message


def _plain(notice: Notice) -> str:
    lines = [notice.intro, ""]
    for item in notice.items:
        lines += [item.text, f"Why: {item.why}"]
        lines += [f"{label}: {url}" for label, url in item.links]
        lines.append("")
    return "\n".join(lines)


def _html(notice: Notice) -> str:
    e = html.escape
    parts = [f"<p>{e(notice.intro)}</p>"]
    for item in notice.items:
        links = " · ".join(f'<a href="{e(url)}">{e(label)}</a>' for label, url in item.links)
        parts.append(
            f"<div><p><strong>{e(item.text)}</strong></p>"
            f"<p><em>{e(item.why)}</em></p><p>{links}</p></div>"
        )
    return f"<!DOCTYPE html><html><body>{''.join(parts)}</body></html>"


# -- chat ---------------------------------------------------------------------------------------


def _mrkdwn(text: str) -> str:
    """Slack's escaping of user text: only &, < and > are special."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack(notice: Notice) -> dict[str, Any]:
    """A Slack incoming-webhook payload: ``text`` (the notification's fallback) and blocks
    (a header, a section per item, a button per link), within Slack's limits."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": notice.title[:SLACK_HEADER]}},
        {"type": "section", "text": {"type": "mrkdwn", "text": _mrkdwn(notice.intro)}},
    ]
    for item in notice.items[:15]:  # three blocks each: within Slack's 50
        text = f"*{_mrkdwn(item.text)}*\n_{_mrkdwn(item.why)}_"
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text[:SLACK_SECTION]}})
        buttons = [
            {"type": "button", "text": {"type": "plain_text", "text": label[:75]}, "url": url}
            for label, url in item.links[:5]
        ]
        blocks += [{"type": "actions", "elements": buttons}, {"type": "divider"}]
    return {"text": f"{notice.title}: {notice.intro}"[:SLACK_SECTION], "blocks": blocks}


def teams(notice: Notice) -> dict[str, Any]:
    """A Microsoft Teams incoming-webhook MessageCard: a section per item, a link action
    per link of the first item (the one a single prompt's message is about)."""
    sections = [
        {
            "activityTitle": html.escape(item.text),
            "text": html.escape(item.why)
            + "<br>"
            + " · ".join(f"[{html.escape(label)}]({url})" for label, url in item.links),
        }
        for item in notice.items
    ]
    actions = [
        {"@type": "OpenUri", "name": label, "targets": [{"os": "default", "uri": url}]}
        for label, url in (notice.items[0].links if notice.items else ())
    ]
    return {
        "@type": "MessageCard",
        "@context": "https://schema.org/extensions",
        "summary": notice.title,
        "themeColor": "2F6FEB",
        "title": html.escape(notice.title),
        "text": html.escape(notice.intro),
        "sections": sections,
        "potentialAction": actions,
    }
