"""Reflection workers: prompts from the ledger's events, from schedules and from the calendar.

Event triggers (a one-way door decided at low information, a key result's confidence drop)
prompt at once; time triggers (a decision's review date, a key result or a delegation without
check-in past its cadence, a retro action item's due date) are NATS message schedules in a
stream of their own; a weekly review, a monthly look-back and a quarterly retro per person are
cron schedules. Prompts are ``Prompt`` events in the ledger with ids derived from what
triggered them, so nothing is ever issued twice. Each module says how its part works:
:mod:`workers._names` (streams, subjects, consumers), :mod:`workers._consumer` (ordering,
retries, dead letters), :mod:`workers._triggers`, :mod:`workers._due`, :mod:`workers._periodic`,
:mod:`workers._scheduler`, :mod:`workers._issuer`, :mod:`workers._metrics`.

Run them with ``koers worker`` (alone) or in-process with :func:`start_workers`.
"""

from ledger.settings import WorkerSettings
from workers._deadletter import DeadLetter, read_dead_letters
from workers._names import Names
from workers.run import WorkerHandle, run_until_stopped, start_workers

__all__ = [
    "DeadLetter",
    "Names",
    "WorkerHandle",
    "WorkerSettings",
    "read_dead_letters",
    "run_until_stopped",
    "start_workers",
]
