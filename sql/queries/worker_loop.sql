-- Queries of engine/worker/loop.py: the worker's own node row.

-- name: worker_heartbeat
-- Only the worker recorded on the row may beat for it (a replaced worker gets no row back).
-- Every five minutes the beat also keeps its RSS in node_rss_samples (sql/0018): the node
-- screen's memory chart; one primary-key probe per beat.
WITH beat AS (
    UPDATE nodes n SET heartbeat_at = now(), rss_bytes = %(rss)s, updated_at = now()
    WHERE n.id = %(id)s AND n.pid = %(pid)s
    RETURNING n.id, n.stop_requested, n.kill_requested, n.desired, n.run_once,
              (SELECT extract(epoch FROM now() - h.heartbeat_at)::double precision
               FROM hosts h WHERE h.id = n.host_id) AS host_age_s
), sample AS (
    INSERT INTO node_rss_samples (node_id, rss_bytes)
    SELECT beat.id, %(rss)s FROM beat
    WHERE NOT EXISTS (SELECT 1 FROM node_rss_samples s
                      WHERE s.node_id = beat.id AND s.sampled_at > now() - interval '5 minutes')
    ON CONFLICT DO NOTHING
)
SELECT stop_requested, kill_requested, desired, run_once, host_age_s FROM beat;

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
