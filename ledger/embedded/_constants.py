"""Addresses, defaults and the polling interval shared by the embedded-server modules."""

__all__ = [
    "DEFAULT_LOCK_TIMEOUT",
    "DEFAULT_MAX_BATCH_MSGS",
    "DEFAULT_MAX_PAYLOAD",
    "DEFAULT_STARTUP_TIMEOUT",
    "DEFAULT_STOP_TIMEOUT",
    "LOOPBACK",
    "POLL_INTERVAL",
]

LOOPBACK = "127.0.0.1"
DEFAULT_STARTUP_TIMEOUT = 10.0
DEFAULT_STOP_TIMEOUT = 10.0
DEFAULT_LOCK_TIMEOUT = 30.0
DEFAULT_MAX_BATCH_MSGS = 1000
DEFAULT_MAX_PAYLOAD = 1024 * 1024

POLL_INTERVAL = 0.05
"""Seconds between two checks while waiting for a lock or for the server to get ready."""
