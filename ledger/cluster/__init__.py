"""The cluster stack on one machine (``koers cluster up``) and its entry proxy.

The same stack as docker-compose.yml, from the same files: three nats-server nodes
(deploy/nats/), the streams at R3, PostgreSQL for the views, the views projector, two worker
processes and two API processes (reading the shared views) behind one entry. See README
"Running on a cluster".
"""

from ledger.cluster._entry import Entry, parse_address, run_entry
from ledger.cluster._runner import LocalCluster, Process
from ledger.cluster._services import ENTRY, INIT, POSTGRES, SERVICES, Service, password_key

__all__ = [
    "ENTRY",
    "INIT",
    "POSTGRES",
    "SERVICES",
    "Entry",
    "LocalCluster",
    "Process",
    "Service",
    "parse_address",
    "password_key",
    "run_entry",
]
