-- Queries of engine/supervisor/loop.py: the host lease and the nodes a supervisor manages.

-- name: claim_host
-- Only after the advisory lock is held: the row then describes this supervisor.
UPDATE hosts
SET pid = %(pid)s, started_at = now(), heartbeat_at = now(), cpus = %(cpus)s,
    mem_total = %(mem_total)s, mem_available = %(mem_available)s, version = %(version)s
WHERE id = %(id)s;

-- name: host_heartbeat
UPDATE hosts SET heartbeat_at = now(), pid = %(pid)s, mem_available = %(mem_available)s
WHERE id = %(id)s;

-- name: host_holder
SELECT h.id, h.hostname, h.pid, h.started_at, h.heartbeat_at,
       extract(epoch FROM now() - h.heartbeat_at)::double precision AS heartbeat_age_s,
       EXISTS (SELECT 1 FROM pg_locks l
               WHERE l.locktype = 'advisory' AND l.classid = %(lock_class)s::oid
                 AND l.objid = (%(lock_base)s + h.id)::oid AND l.objsubid = 2
                 AND l.granted
                 -- advisory locks are per database: another jobfleet database on the same
                 -- server may hold the same key
                 AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
       ) AS locked
FROM hosts h WHERE h.hostname = %(hostname)s;

-- name: try_host_lock
SELECT pg_try_advisory_lock(%(lock_class)s::int, %(lock_id)s::int) AS ok;

-- name: supervisor_nodes
-- Everything the supervisor needs to decide, judged by the database clock: its own nodes, the
-- unclaimed ones it may start, and those of hosts whose lease expired (to mark lost, take over).
-- A demo host (claims_others false) reads only its own nodes.
SELECT n.id, n.name, n.status::text AS status, n.desired, n.host_id, n.pinned, n.pid,
       n.proc_started_at, n.stop_requested, n.kill_requested, n.restarts, n.fast_crashes,
       n.last_exit, n.last_error, n.spec, n.rss_bytes, h.hostname AS host,
       n.heartbeat_at IS NOT NULL AS has_heartbeat,
       extract(epoch FROM now() - n.heartbeat_at)::double precision AS heartbeat_age_s,
       extract(epoch FROM now() - n.started_at)::double precision AS started_age_s,
       extract(epoch FROM now() - n.status_changed_at)::double precision AS status_age_s,
       (n.next_start_at IS NULL OR n.next_start_at <= now()) AS start_due,
       extract(epoch FROM now() - h.heartbeat_at)::double precision AS host_age_s,
       n.run_once, n.next_start_at, now() AS db_now
FROM nodes n
LEFT JOIN hosts h ON h.id = n.host_id
WHERE n.host_id = %(host_id)s
   OR (%(claims_others)s AND n.host_id IS NULL
       AND (n.desired = 'running' OR n.run_once OR n.status = 'scheduled'))
   OR (%(claims_others)s AND n.host_id IS NOT NULL AND n.host_id <> %(host_id)s
       AND (n.status IN ('starting', 'running', 'stopping', 'lost', 'exited', 'backoff', 'scheduled')
            OR (n.status = 'stopped' AND n.desired = 'running'))
       AND h.heartbeat_at < now() - make_interval(secs => %(host_stale_after)s))
ORDER BY n.id;

-- name: claim_node
-- Before a spawn, in the spawn's transaction: the row stays locked until the worker's pid is
-- written, and a supervisor that loses the race for an unclaimed node gets no row back. The spec
-- read under that lock chooses the secrets the worker's environment carries.
UPDATE nodes SET host_id = %(host_id)s, updated_at = now()
WHERE id = %(id)s AND (host_id IS NULL OR host_id = %(host_id)s)
RETURNING id, spec;

-- name: take_over_node
-- Compare-and-set: still the status seen, still on that host, not pinned, and that host's lease
-- still expired by the database clock at this very moment (it may just have come back).
UPDATE nodes n SET host_id = %(host_id)s, updated_at = now()
FROM hosts h
WHERE n.id = %(id)s AND n.host_id = %(from_host)s AND h.id = n.host_id
  AND n.status = %(status)s::node_status AND NOT n.pinned
  AND h.heartbeat_at < now() - make_interval(secs => %(stale_after)s)
RETURNING n.id;

-- name: node_clear_requests
UPDATE nodes SET stop_requested = false, kill_requested = false, updated_at = now()
WHERE id = %(id)s;

-- name: node_set_next_start
-- A scheduled node whose window moved (its spec changed): when it opens next.
UPDATE nodes SET next_start_at = %(next_start_at)s, updated_at = now() WHERE id = %(id)s;

-- name: node_set_fast_crashes
UPDATE nodes SET fast_crashes = %(fast_crashes)s, updated_at = now() WHERE id = %(id)s;
