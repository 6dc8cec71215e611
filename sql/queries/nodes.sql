-- Named queries of the supervisor, workers, nodes and node_logs (engine/nodes.py, events.py,
-- supervisor.py, worker.py).

-- name: insert_node_logs
INSERT INTO node_logs (node_id, host_id, ts, level, event, message, fields)
SELECT n, %(host_id)s, t, l, e, m, f::jsonb
FROM unnest(%(node_ids)s::bigint[], %(ts)s::timestamptz[], %(levels)s::text[], %(events)s::text[],
            %(messages)s::text[], %(fields)s::text[]) AS u(n, t, l, e, m, f)
-- A log row for a node deleted meanwhile would violate the foreign key and lose the batch.
WHERE n IS NULL OR EXISTS (SELECT 1 FROM nodes WHERE nodes.id = n)
RETURNING id, node_id;

-- name: fetch_logs_tail
SELECT l.id, l.node_id, n.name AS node_name, l.host_id, l.ts, l.level, l.event, l.message, l.fields
FROM node_logs l
LEFT JOIN nodes n ON n.id = l.node_id
WHERE (%(node_id)s::bigint IS NULL OR l.node_id = %(node_id)s)
  AND (NOT %(supervisor_only)s OR l.node_id IS NULL)
  AND (%(levels)s::text[] IS NULL OR l.level = ANY(%(levels)s))
  AND (%(text)s::text IS NULL OR l.message ILIKE %(text)s OR l.event ILIKE %(text)s)
ORDER BY l.id DESC
LIMIT %(limit)s;

-- name: fetch_logs_after
SELECT l.id, l.node_id, n.name AS node_name, l.host_id, l.ts, l.level, l.event, l.message, l.fields
FROM node_logs l
LEFT JOIN nodes n ON n.id = l.node_id
WHERE l.id > %(after_id)s
  AND (%(node_id)s::bigint IS NULL OR l.node_id = %(node_id)s)
  AND (NOT %(supervisor_only)s OR l.node_id IS NULL)
  AND (%(levels)s::text[] IS NULL OR l.level = ANY(%(levels)s))
  AND (%(text)s::text IS NULL OR l.message ILIKE %(text)s OR l.event ILIKE %(text)s)
ORDER BY l.id
LIMIT %(limit)s;

-- name: prune_logs_by_age
DELETE FROM node_logs WHERE ts < now() - make_interval(secs => %(keep_days)s * 86400);

-- name: prune_logs_per_node
-- One index probe per node: the id below which this node's rows are surplus.
DELETE FROM node_logs l
USING (
    SELECT n.id AS node_id, c.id AS cutoff
    FROM nodes n
    CROSS JOIN LATERAL (
        SELECT id FROM node_logs WHERE node_id = n.id ORDER BY id DESC OFFSET %(keep_rows)s LIMIT 1
    ) c
) surplus
WHERE l.node_id = surplus.node_id AND l.id <= surplus.cutoff;

-- name: prune_logs_supervisor
DELETE FROM node_logs
WHERE node_id IS NULL
  AND id <= (SELECT id FROM node_logs WHERE node_id IS NULL
             ORDER BY id DESC OFFSET %(keep_rows)s LIMIT 1);

-- name: insert_node
INSERT INTO nodes (name, spec, desired, locations_total, host_id, pinned)
VALUES (%(name)s, %(spec)s, %(desired)s, %(locations_total)s, %(host_id)s::bigint,
        %(host_id)s::bigint IS NOT NULL)
RETURNING id;

-- name: list_nodes
SELECT n.id, n.name, n.status::text AS status, n.desired, n.pid, n.proc_started_at,
       h.hostname AS host, n.host_id, n.pinned,
       extract(epoch FROM now() - n.heartbeat_at)::double precision AS heartbeat_age_s,
       n.heartbeat_at, n.jobs_found, n.jobs_new, n.restarts, n.fast_crashes, n.last_exit,
       n.last_error, n.cycle, n.locations_done, n.locations_total, n.current_location,
       n.current_site, n.rss_bytes, n.started_at, n.stopped_at, n.status_changed_at,
       n.stop_requested, n.kill_requested, n.next_start_at, n.cooldowns, n.spec, n.created_at,
       n.updated_at
FROM nodes n
LEFT JOIN hosts h ON h.id = n.host_id
ORDER BY n.id;

-- name: get_node_by_id
SELECT n.id, n.name, n.status::text AS status, n.desired, n.pid, n.proc_started_at,
       h.hostname AS host, n.host_id, n.pinned,
       extract(epoch FROM now() - n.heartbeat_at)::double precision AS heartbeat_age_s,
       n.heartbeat_at, n.jobs_found, n.jobs_new, n.restarts, n.fast_crashes, n.last_exit,
       n.last_error, n.cycle, n.locations_done, n.locations_total, n.current_location,
       n.current_site, n.rss_bytes, n.started_at, n.stopped_at, n.status_changed_at,
       n.stop_requested, n.kill_requested, n.next_start_at, n.cooldowns, n.spec, n.created_at,
       n.updated_at
FROM nodes n
LEFT JOIN hosts h ON h.id = n.host_id
WHERE n.id = %(id)s;

-- name: get_node_by_name
SELECT id FROM nodes WHERE name = %(name)s;

-- name: lock_node_status
SELECT status::text AS status FROM nodes WHERE id = %(id)s FOR UPDATE;

-- name: request_start
UPDATE nodes SET desired = 'running', stop_requested = false, kill_requested = false,
       fast_crashes = CASE WHEN status = 'fatal' THEN 0 ELSE fast_crashes END,
       next_start_at = NULL, updated_at = now()
WHERE id = %(id)s
RETURNING status::text AS status;

-- name: request_stop
UPDATE nodes SET desired = 'stopped', stop_requested = true, updated_at = now()
WHERE id = %(id)s
RETURNING status::text AS status;

-- name: request_kill
UPDATE nodes SET desired = 'stopped', stop_requested = true, kill_requested = true,
       updated_at = now()
WHERE id = %(id)s
RETURNING status::text AS status;

-- name: request_restart
-- stop_requested with desired=running: the worker exits, then the supervisor starts it again.
UPDATE nodes SET desired = 'running', stop_requested = (status IN ('starting', 'running')),
       kill_requested = false, fast_crashes = 0, next_start_at = NULL, updated_at = now()
WHERE id = %(id)s
RETURNING status::text AS status;

-- name: delete_node
DELETE FROM nodes WHERE id = %(id)s AND status NOT IN ('starting', 'running', 'stopping')
RETURNING id;

-- name: jobs_per_hour
SELECT node_id,
       floor(extract(epoch FROM now() - started_at) / 3600)::int AS hours_ago,
       sum(new)::bigint AS new_jobs
FROM scrape_runs
WHERE node_id = ANY(%(node_ids)s) AND started_at > now() - make_interval(hours => %(hours)s)
GROUP BY 1, 2;

-- name: ensure_host
INSERT INTO hosts (hostname) VALUES (%(hostname)s) ON CONFLICT (hostname) DO NOTHING;

-- name: claim_host
-- Only after the advisory lock is held: the row then describes this supervisor.
UPDATE hosts
SET pid = %(pid)s, started_at = now(), heartbeat_at = now(), cpus = %(cpus)s,
    mem_total = %(mem_total)s, mem_available = %(mem_available)s, version = %(version)s
WHERE id = %(id)s;

-- name: host_id_by_name
SELECT id FROM hosts WHERE hostname = %(hostname)s;

-- name: host_heartbeat
UPDATE hosts SET heartbeat_at = now(), pid = %(pid)s, mem_available = %(mem_available)s
WHERE id = %(id)s;

-- name: host_holder
SELECT h.id, h.hostname, h.pid, h.started_at, h.heartbeat_at,
       extract(epoch FROM now() - h.heartbeat_at)::double precision AS heartbeat_age_s,
       EXISTS (SELECT 1 FROM pg_locks l
               WHERE l.locktype = 'advisory' AND l.classid = %(lock_class)s::oid
                 AND l.objid = (%(lock_base)s + h.id)::oid AND l.objsubid = 2
                 AND l.granted) AS locked
FROM hosts h WHERE h.hostname = %(hostname)s;

-- name: try_host_lock
SELECT pg_try_advisory_lock(%(lock_class)s::int, %(lock_id)s::int) AS ok;

-- name: supervisor_nodes
-- Everything the supervisor needs to decide, judged by the database clock: its own nodes, the
-- unclaimed ones it may start, and those of hosts whose lease expired (to mark lost, take over).
SELECT n.id, n.name, n.status::text AS status, n.desired, n.host_id, n.pinned, n.pid,
       n.proc_started_at, n.stop_requested, n.kill_requested, n.restarts, n.fast_crashes,
       n.last_exit, n.spec, n.rss_bytes, h.hostname AS host,
       n.heartbeat_at IS NOT NULL AS has_heartbeat,
       extract(epoch FROM now() - n.heartbeat_at)::double precision AS heartbeat_age_s,
       extract(epoch FROM now() - n.started_at)::double precision AS started_age_s,
       extract(epoch FROM now() - n.status_changed_at)::double precision AS status_age_s,
       (n.next_start_at IS NULL OR n.next_start_at <= now()) AS start_due,
       extract(epoch FROM now() - h.heartbeat_at)::double precision AS host_age_s
FROM nodes n
LEFT JOIN hosts h ON h.id = n.host_id
WHERE n.host_id = %(host_id)s
   OR (n.host_id IS NULL AND n.desired = 'running')
   OR (n.host_id IS NOT NULL AND n.host_id <> %(host_id)s
       AND (n.status IN ('starting', 'running', 'stopping', 'lost', 'exited', 'backoff')
            OR (n.status = 'stopped' AND n.desired = 'running'))
       AND h.heartbeat_at < now() - make_interval(secs => %(host_stale_after)s))
ORDER BY n.id;

-- name: claim_node
-- Before a spawn, in the spawn's transaction: the row stays locked until the worker's pid is
-- written, and a supervisor that loses the race for an unclaimed node gets no row back.
UPDATE nodes SET host_id = %(host_id)s, updated_at = now()
WHERE id = %(id)s AND (host_id IS NULL OR host_id = %(host_id)s)
RETURNING id;

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

-- name: node_set_fast_crashes
UPDATE nodes SET fast_crashes = %(fast_crashes)s, updated_at = now() WHERE id = %(id)s;

-- name: node_set_stop_requested
UPDATE nodes SET stop_requested = true, updated_at = now() WHERE id = %(id)s;

-- name: worker_heartbeat
-- Only the worker recorded on the row may beat for it (a replaced worker gets no row back).
UPDATE nodes n SET heartbeat_at = now(), rss_bytes = %(rss)s, updated_at = now()
WHERE n.id = %(id)s AND n.pid = %(pid)s
RETURNING n.stop_requested, n.kill_requested, n.desired,
          (SELECT extract(epoch FROM now() - h.heartbeat_at)::double precision
           FROM hosts h WHERE h.id = n.host_id) AS host_age_s;

-- name: worker_row
SELECT n.id, n.name, n.spec, n.pid, n.status::text AS status, n.desired, n.stop_requested,
       n.cycle, n.host_id
FROM nodes n WHERE n.id = %(id)s;

-- name: worker_metrics
UPDATE nodes SET cycle = %(cycle)s, jobs_found = jobs_found + %(found)s,
       jobs_new = jobs_new + %(new)s, locations_done = %(locations_done)s,
       locations_total = %(locations_total)s, current_location = %(current_location)s,
       current_site = %(current_site)s, cooldowns = %(cooldowns)s, rss_bytes = %(rss)s,
       updated_at = now()
WHERE id = %(id)s AND pid = %(pid)s;

-- name: worker_last_error
UPDATE nodes SET last_error = %(error)s, updated_at = now() WHERE id = %(id)s AND pid = %(pid)s;

-- name: worker_exit
UPDATE nodes SET last_exit = %(code)s, stopped_at = now(), updated_at = now()
WHERE id = %(id)s AND pid = %(pid)s;

-- name: update_node_spec
UPDATE nodes SET spec = %(spec)s, locations_total = %(locations_total)s, updated_at = now()
WHERE id = %(id)s
RETURNING id;

-- name: force_delete_node
DELETE FROM nodes WHERE id = %(id)s RETURNING id;
