"""The SSRF guard where the workers send (:mod:`ledger.application._destinations`): a
destination is checked on the addresses its name resolves to *when sent*, since DNS may
have changed since the URL was given.

- **Webhooks** (aiohttp): the connector resolves names through :class:`GuardedResolver`,
  which refuses a private address, so the address connected to is the one checked (aiohttp
  caches what it resolved, checked, for ten seconds); a host written as an IP address is not
  resolved, and :func:`literal_problem` checks it before the POST.
- **Slack and Teams** (httpx, a few messages a day): :func:`destination_problem` resolves
  the name and checks every address just before the POST; the client resolves it again as
  it connects, a window of milliseconds a rebinding DNS server could use.

A refused destination is a failed attempt, retried as any other (a webhook's lands in its
failures after the retry window), with the reason and the setting that allows it.
"""

from __future__ import annotations

import asyncio
import errno
import socket
from urllib.parse import urlsplit

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from ledger.application._destinations import address_problem, host_problem, refused

__all__ = ["GuardedResolver", "destination_problem", "literal_problem"]


class GuardedResolver(AbstractResolver):
    """aiohttp's resolver, refusing names that resolve to a private address."""

    def __init__(self) -> None:
        self._resolver = DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found = await self._resolver.resolve(host, port, family)
        for result in found:
            problem = address_problem(result["host"])
            if problem is not None:  # aiohttp tells it as "Cannot connect to host … [<this>]"
                why = refused(f"http://{host}/", f"resolves to {problem}")
                raise OSError(errno.EACCES, why)
        return found

    async def close(self) -> None:
        await self._resolver.close()


def literal_problem(url: str) -> str | None:
    """Why not POST to ``url`` judged without resolving it (its scheme, its host if that is
    an IP address: aiohttp connects to those without asking the resolver)."""
    problem = host_problem(url)
    return None if problem is None else refused(url, problem)


async def destination_problem(url: str) -> str | None:
    """Why not POST to ``url``, judged on what its host resolves to now (``None``: it may;
    a name that does not resolve is left to the POST to fail)."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        found = await asyncio.get_running_loop().getaddrinfo(
            parts.hostname or "", port, type=socket.SOCK_STREAM
        )
    except (OSError, UnicodeError):
        found = []
    problem = host_problem(url, [str(sockaddr[0]) for *_, sockaddr in found])
    return None if problem is None else refused(url, problem)
