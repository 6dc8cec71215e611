"""The bus protocol: the names and numbers that processes agree on through the database.

Stdlib only, imported by the supervisor, the workers, the CLI and the TUI alike, so none of them
has to import another's module for a constant.
"""

from __future__ import annotations

# NOTIFY channels. Payloads carry ids, never rows (they cap at 8000 bytes).
NODES_CHANNEL = "jobfleet_nodes"  # a node row changed (deploy, start, stop, …)
NODE_CHANNEL_PREFIX = "jobfleet_node_"  # + node id: "stop" for that node's worker (see 0003)
LOGS_CHANNEL = "node_logs"  # new node_logs rows: "NODE_ID:LOG_ID" ("" for supervisor events)

# Advisory locks are (LOCK_CLASS, object id).
LOCK_CLASS = 7411
MIGRATION_LOCK = 1
# Held (per transaction) by the one supervisor that evaluates the fleet's alerts at a time.
ALERTS_LOCK = 2
# Held by a deploy while it checks that the name is free and inserts the node.
DEPLOY_LOCK = 3
# Host locks are (LOCK_CLASS, HOST_LOCK_BASE + host id): objects below the base belong to the
# database layer (MIGRATION_LOCK = 1 would otherwise be host 1's lock, and block every migration).
HOST_LOCK_BASE = 1 << 20
# Grouping at ingest: (GROUP_LOCK_CLASS, 32-bit hash of an employer in a place, or of an apply id),
# held until the batch commits, so that copies of one job written at once see each other.
GROUP_LOCK_CLASS = 7412

# Worker exit codes the supervisor understands.
EXIT_STOPPED = 0  # stopped on request (stop_requested, SIGTERM)
EXIT_RECYCLE = 3  # reached max_cycles: start a fresh one, not a crash
EXIT_DEAD_MAN = 4  # the supervisor's lease went stale: it left on its own
EXIT_SUPERSEDED = 5  # the row names another worker: it left on its own
EXIT_ONCE = 6  # a run-once worker finished its one cycle
EXIT_CONFIG = 78  # the spec cannot be run (sysexits EX_CONFIG): FATAL at once

# The worker's module, as the supervisor starts it and as process identity checks recognise it.
WORKER_MODULE = "engine.worker"
