-- Queries of engine/fleet/nodes.py: deploy, list, control, edit and delete nodes. ensure_host and
-- host_id_by_name are also used by the supervisor (engine/supervisor/loop.py).

-- name: insert_node
-- No row (and no id drawn from the sequence, which a failed INSERT would use up for good) when
-- the name is taken; the caller holds the deploy lock, so the check cannot race another deploy.
INSERT INTO nodes (name, spec, desired, locations_total, host_id, pinned)
SELECT %(name)s, %(spec)s, %(desired)s, %(locations_total)s, %(host_id)s::bigint,
       %(host_id)s::bigint IS NOT NULL
WHERE NOT EXISTS (SELECT 1 FROM nodes WHERE lower(name) = lower(%(name)s))
RETURNING id;

-- name: lock_deploys
-- Deploys one at a time (for the length of the transaction): the name check above holds.
SELECT pg_advisory_xact_lock(%(class)s, %(object)s);

-- name: list_nodes
-- With the node's health judged from its recent scrapes (node_health, sql/0009).
SELECT l.*, h.health, h.health_reason
FROM nodes_listed l
CROSS JOIN LATERAL node_health(l.id, l.spec, %(failing_after)s) h
ORDER BY l.id;

-- name: get_node_by_id
SELECT l.*, h.health, h.health_reason
FROM nodes_listed l
CROSS JOIN LATERAL node_health(l.id, l.spec, %(failing_after)s) h
WHERE l.id = %(id)s;

-- name: get_node_by_name
-- Ignoring case, as names are unique (sql/0008): `jobfleet stop PY-US` finds "py-us".
SELECT id FROM nodes WHERE lower(name) = lower(%(name)s);

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

-- name: request_run_once
-- One cycle now: only for a node without a worker that is not on its way somewhere by itself.
UPDATE nodes SET run_once = true, stop_requested = false, kill_requested = false,
       updated_at = now()
WHERE id = %(id)s AND status IN ('stopped', 'scheduled')
RETURNING status::text AS status;

-- name: delete_node
DELETE FROM nodes WHERE id = %(id)s AND status NOT IN ('starting', 'running', 'stopping')
RETURNING id;

-- name: force_delete_node
DELETE FROM nodes WHERE id = %(id)s RETURNING id;

-- name: jobs_per_hour
SELECT node_id,
       floor(extract(epoch FROM now() - started_at) / 3600)::int AS hours_ago,
       sum(new)::bigint AS new_jobs
FROM scrape_runs
WHERE node_id = ANY(%(node_ids)s) AND started_at > now() - make_interval(hours => %(hours)s)
GROUP BY 1, 2;

-- name: ensure_host
INSERT INTO hosts (hostname) VALUES (%(hostname)s) ON CONFLICT (hostname) DO NOTHING;

-- name: host_id_by_name
SELECT id FROM hosts WHERE hostname = %(hostname)s;

-- name: lock_node_spec
-- update_spec: the spec it replaces, and whether a worker runs (to restart it).
SELECT id, name, spec, status::text AS status, desired FROM nodes WHERE id = %(id)s FOR UPDATE;

-- name: edit_node_spec
UPDATE nodes SET name = %(name)s, spec = %(spec)s, locations_total = %(locations_total)s,
       updated_at = now()
WHERE id = %(id)s
RETURNING id;

-- name: pin_node_to_host
-- Returns a row only when the node moved (it was elsewhere, or not pinned).
UPDATE nodes SET host_id = %(host_id)s, pinned = true, updated_at = now()
WHERE id = %(id)s AND (host_id IS DISTINCT FROM %(host_id)s OR NOT pinned)
RETURNING id;

-- name: resolve_node_refs
-- The nodes named in a bulk request: each reference with the id it names, by id or by name
-- ignoring case (as get_node_by_name); a reference that names no node has no row.
SELECT n.id::text AS ref, n.id FROM nodes n WHERE n.id = ANY(%(ids)s::bigint[])
UNION ALL
SELECT r.ref, n.id
FROM unnest(%(names)s::text[]) AS r (ref)
JOIN nodes n ON lower(n.name) = lower(r.ref);

-- name: select_nodes
-- The nodes a bulk request acts on: those of %(ids)s (NULL: every node) that pass every filter
-- given (NULL: no filter). match: a substring of the name or the search term, ignoring case.
SELECT l.*, h.health, h.health_reason
FROM nodes_listed l
CROSS JOIN LATERAL node_health(l.id, l.spec, %(failing_after)s) h
WHERE (%(ids)s::bigint[] IS NULL OR l.id = ANY(%(ids)s::bigint[]))
  AND (%(statuses)s::text[] IS NULL OR l.status = ANY(%(statuses)s::text[]))
  AND (%(match)s::text IS NULL
       OR strpos(lower(l.name), lower(%(match)s::text)) > 0
       OR strpos(lower(coalesce(l.spec ->> 'search_term', '')), lower(%(match)s::text)) > 0)
  AND (%(host)s::text IS NULL OR l.host = %(host)s::text)
ORDER BY l.id;
