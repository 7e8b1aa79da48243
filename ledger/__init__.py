"""Koers: the goal and decision ledger (README.md; docs/architecture.md for its layers)."""

from ledger._imports import hide_aiohttp_from_nats

hide_aiohttp_from_nats()
