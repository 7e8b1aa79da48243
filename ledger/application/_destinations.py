"""Where Koers may POST: the guard against server-side request forgery (SSRF).

Webhook URLs and Slack/Teams incoming-webhook URLs are given by users, and the workers POST
to them from inside the deployment's network. A URL pointing back into that network (the
NATS monitoring port, a cloud's metadata service at 169.254.169.254, an admin page on
10.0.0.5) would let anyone who may register a webhook make Koers call it. So, unless
``KOERS_WEBHOOKS_ALLOW_PRIVATE=1`` (a local receiver: the tests, the benchmarks, a lab), a
destination must be ``http(s)`` and its host a public address: not loopback, link-local,
private (RFC 1918, ``fc00::/7``), shared (``100.64.0.0/10``), unspecified, multicast or
otherwise reserved.

Checked twice:

- **when the URL is given** (:func:`refuse_private`, from the command table's
  :meth:`~ledger.application._base.KoersBase.execute`: the command line, the API and the web
  page refuse alike), on the host as written and on what it resolves to now. A name that does
  not resolve (yet) is let through: it is checked again when sent;
- **when a delivery is sent** (:func:`address_problem` on what the name resolves to then:
  DNS may have changed since; the workers' HTTP clients do this as they connect).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from ledger.domain import Command
from ledger.domain import notify as _notify
from ledger.domain import webhooks as _webhooks
from ledger.settings._parse import flag

__all__ = [
    "ALLOW_PRIVATE",
    "address_problem",
    "allows_private",
    "host_problem",
    "refuse_private",
    "refused",
]

ALLOW_PRIVATE = "KOERS_WEBHOOKS_ALLOW_PRIVATE"
#: The fields whose values Koers POSTs to.
_DESTINATIONS = (_webhooks.WebhookUrl, _notify.WebhookUrl)


def allows_private(env: Mapping[str, str] | Any) -> bool:
    """Whether ``KOERS_WEBHOOKS_ALLOW_PRIVATE`` is set (to yes, 1, true, on)."""
    return flag({ALLOW_PRIVATE: env.get(ALLOW_PRIVATE) or ""}, ALLOW_PRIVATE, False)


def refused(url: str, problem: str) -> str:
    """What to tell about a refused destination: why, and the setting that allows it."""
    host = urlsplit(url).hostname or url
    return (
        f"{host} {problem}: Koers does not POST into private networks "
        f"(set {ALLOW_PRIVATE}=1 to allow it, e.g. for a receiver on this machine)"
    )


def address_problem(address: str) -> str | None:
    """What this IP address is, if Koers must not POST to it (``None``: a public one):
    ``"a loopback address (127.0.0.1)"``."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 zone: fe80::1%eth0
    except ValueError:
        return f"not an IP address ({address!r})"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_global and not ip.is_multicast:
        return None
    for what, yes in (
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("private", ip.is_private),
        ("multicast", ip.is_multicast),
        ("unspecified", ip.is_unspecified),
    ):
        if yes:
            return f"a {what} address ({ip})"
    return f"not a public address ({ip})"


def host_problem(url: str, addresses: Iterable[str] = ()) -> str | None:
    """Why Koers must not POST to ``url`` (``None``: it may): its scheme, its host if that
    is an IP address, or any of ``addresses`` (what its name resolves to)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return f"uses the scheme {parts.scheme or '(none)'!r}: only http(s) is sent"
    host = parts.hostname or ""
    if not host:
        return "names no host"
    try:
        literal = str(ipaddress.ip_address(host))
    except ValueError:
        literal = None
    if literal is not None:
        problem = address_problem(literal)
        return None if problem is None else f"is {problem}"
    for address in addresses:
        problem = address_problem(address)
        if problem is not None:
            return f"resolves to {problem}"
    return None


def resolve(url: str) -> list[str]:
    """The addresses ``url``'s host resolves to now (none when it does not resolve)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return []
    return [str(sockaddr[0]) for *_, sockaddr in found]


def refuse_private(command: Command, values: Mapping[str, Any], env: Any) -> None:
    """Refuse a command whose destination URL (a webhook's, a chat channel's) points into a
    private network, unless the setting allows it (``InvalidField`` naming the field)."""
    if allows_private(env):
        return
    for field in command.fields:
        url = values.get(field.name)
        if isinstance(field, _DESTINATIONS) and isinstance(url, str) and url:
            problem = host_problem(url, resolve(url))
            if problem is not None:
                raise field.fail(refused(url, problem))
