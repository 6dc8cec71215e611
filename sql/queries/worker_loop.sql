-- Queries of engine/worker/loop.py: the worker's own node row.

-- name: worker_heartbeat
-- Only the worker recorded on the row may beat for it (a replaced worker gets no row back).
UPDATE nodes n SET heartbeat_at = now(), rss_bytes = %(rss)s, updated_at = now()
WHERE n.id = %(id)s AND n.pid = %(pid)s
RETURNING n.stop_requested, n.kill_requested, n.desired, n.run_once,
          (SELECT extract(epoch FROM now() - h.heartbeat_at)::double precision
           FROM hosts h WHERE h.id = n.host_id) AS host_age_s;

-- name: worker_row
SELECT n.id, n.name, n.spec, n.pid, n.status::text AS status, n.desired, n.stop_requested,
       n.cycle, n.host_id, n.locations_done, n.locations_total, n.current_location, n.run_once
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
