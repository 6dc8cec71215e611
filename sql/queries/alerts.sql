-- Queries of engine/supervisor/alerts: evaluating, storing, sending and listing alerts.

-- name: alerts_try_lock
-- One evaluating supervisor at a time; the lock ends with the transaction.
SELECT pg_try_advisory_xact_lock(%(lock_class)s::int, %(lock_id)s::int) AS ok;

-- name: alerts_lock
SELECT pg_advisory_xact_lock(%(lock_class)s::int, %(lock_id)s::int);

-- name: alerts_open_list
SELECT kind, subject, fields FROM alerts WHERE resolved_at IS NULL;

-- name: alerts_track_progress
-- The cycle in which a node's new-postings count last grew (or its cycle count went back).
INSERT INTO alert_progress AS p (node_id, jobs_new, cycle)
SELECT id, jobs_new, cycle FROM nodes
ON CONFLICT (node_id) DO UPDATE SET jobs_new = excluded.jobs_new, cycle = excluded.cycle
WHERE excluded.jobs_new <> p.jobs_new OR excluded.cycle < p.cycle;

-- name: alerts_node_facts
SELECT n.id, n.name, n.status::text AS status, n.desired, h.hostname AS host, n.last_error,
       hl.health, hl.health_reason, n.cycle, coalesce(p.cycle, n.cycle) AS new_at_cycle,
       n.fast_crashes
FROM nodes n
LEFT JOIN hosts h ON h.id = n.host_id
LEFT JOIN alert_progress p ON p.node_id = n.id
CROSS JOIN LATERAL node_health(n.id, n.spec, %(failing_after)s) hl
ORDER BY n.id;

-- name: alerts_host_facts
SELECT h.hostname AS name,
       extract(epoch FROM now() - h.heartbeat_at)::double precision AS lease_age_s,
       count(n.id) FILTER (WHERE n.desired = 'running') AS running_nodes,
       count(n.id) FILTER (WHERE n.desired = 'running' AND n.pinned) AS pinned_nodes
FROM hosts h
LEFT JOIN nodes n ON n.host_id = h.id
GROUP BY h.id
ORDER BY h.hostname;

-- name: alerts_log_window
SELECT last_log_id, prev_log_id, (SELECT coalesce(max(id), 0) FROM node_logs) AS max_id
FROM alert_state;

-- name: alerts_events
-- The events that raise or close alerts, from the previous pass's end (see alert_state).
SELECT l.id, l.event, l.node_id, l.message, l.fields, n.name AS node_name,
       nh.hostname AS node_host, h.hostname AS host
FROM node_logs l
LEFT JOIN nodes n ON n.id = l.node_id
LEFT JOIN hosts nh ON nh.id = n.host_id
LEFT JOIN hosts h ON h.id = l.host_id
WHERE l.id > %(after)s AND l.id <= %(upto)s AND l.event = ANY(%(events)s)
ORDER BY l.id;

-- name: alerts_log_advance
UPDATE alert_state SET prev_log_id = last_log_id, last_log_id = %(upto)s
WHERE last_log_id <= %(upto)s;

-- name: alert_open
-- Opens the alert unless one of its kind and subject is open (or its event raised one already);
-- a one-shot alert (resolution given) is stored closed. Returns the new alert's id, or nothing.
WITH opened AS (
    INSERT INTO alerts (kind, subject, node_id, node_name, host_name, reported_by, level, title,
                        body, fields, source_log_id, opened_at, resolved_at, resolution)
    SELECT %(kind)s, %(subject)s, %(node_id)s, %(node_name)s, %(host_name)s, %(reported_by)s,
           %(level)s, %(title)s, %(body)s, %(fields)s, %(source_log_id)s,
           now() - make_interval(secs => %(started_ago)s),
           CASE WHEN %(resolution)s::text IS NULL THEN NULL ELSE now() END, %(resolution)s
    WHERE %(source_log_id)s::bigint IS NULL
       OR NOT EXISTS (SELECT 1 FROM alerts a
                      WHERE a.kind = %(kind)s AND a.subject = %(subject)s
                        AND a.source_log_id >= %(source_log_id)s)
    ON CONFLICT DO NOTHING
    RETURNING id
), told AS (
    INSERT INTO alert_notices (alert_id, event) SELECT id, 'opened' FROM opened
)
SELECT id FROM opened;

-- name: alert_resolve
WITH closed AS (
    UPDATE alerts SET resolved_at = now(), resolution = %(resolution)s
    WHERE kind = %(kind)s AND subject = %(subject)s AND resolved_at IS NULL
    RETURNING id
), told AS (
    INSERT INTO alert_notices (alert_id, event) SELECT id, 'resolved' FROM closed WHERE %(notify)s
)
SELECT id FROM closed;

-- name: alert_outage_overlaps
-- Another host already reported the same database outage (its window overlaps this one).
SELECT EXISTS (
    SELECT 1 FROM alerts
    WHERE kind = 'database_unreachable'
      AND resolved_at >= now() - make_interval(secs => %(seconds)s)
) AS seen;

-- name: alerts_prune
DELETE FROM alerts
WHERE resolved_at IS NOT NULL AND resolved_at < now() - make_interval(secs => %(keep_days)s * 86400);

-- name: alerts_list
-- Alerts opened or resolved in the window, and every alert still open; newest first.
SELECT a.id, a.kind, a.subject, a.node_id, a.node_name, a.host_name, a.reported_by, a.level,
       a.title, a.body, a.fields, a.opened_at, a.resolved_at, a.resolution,
       (SELECT count(*) FROM alert_notices n JOIN alert_deliveries d ON d.notice_id = n.id
        WHERE n.alert_id = a.id) AS deliveries
FROM alerts a
WHERE a.resolved_at IS NULL
   OR a.opened_at >= now() - make_interval(secs => %(since_s)s)
   OR a.resolved_at >= now() - make_interval(secs => %(since_s)s)
ORDER BY a.opened_at DESC, a.id DESC
LIMIT %(limit)s;

-- name: alert_destination_ensure
INSERT INTO alert_destinations (key, label) VALUES (%(key)s, %(label)s)
ON CONFLICT (key) DO UPDATE SET label = excluded.label WHERE alert_destinations.label <> excluded.label;

-- name: alert_destination_lock
-- The destination's row, locked while this host sends to it (another host skips it meanwhile).
SELECT key, added_at, window_started_at, window_sent, last_digest_at, failures, now() AS db_now,
       (retry_at IS NOT NULL AND retry_at > now()) AS backing_off,
       (window_started_at IS NULL OR window_started_at <= now() - interval '1 hour') AS window_over
FROM alert_destinations WHERE key = %(key)s
FOR UPDATE SKIP LOCKED;

-- name: alert_pending
-- Notices this destination has not had, from when it was added and at most a week back.
SELECT n.id AS notice_id, n.event, n.created_at, a.id AS alert_id, a.kind, a.level, a.title,
       a.body, a.node_name, a.host_name, a.opened_at, a.resolved_at, a.resolution
FROM alert_notices n
JOIN alerts a ON a.id = n.alert_id
JOIN alert_destinations d ON d.key = %(key)s
WHERE n.created_at >= greatest(d.added_at, now() - interval '7 days')
  AND NOT EXISTS (SELECT 1 FROM alert_deliveries x
                  WHERE x.destination = d.key AND x.notice_id = n.id)
ORDER BY n.id
LIMIT 1000;

-- name: alert_delivered
INSERT INTO alert_deliveries (destination, notice_id)
SELECT %(key)s, unnest(%(notice_ids)s::bigint[])
ON CONFLICT DO NOTHING;

-- name: alert_destination_sent
UPDATE alert_destinations
SET window_started_at = CASE WHEN %(new_window)s THEN now() ELSE window_started_at END,
    window_sent = CASE WHEN %(new_window)s THEN 1 ELSE window_sent + 1 END,
    last_sent_at = now(),
    last_digest_at = CASE WHEN %(digest)s THEN now() ELSE last_digest_at END,
    failures = 0, retry_at = NULL, last_error = NULL
WHERE key = %(key)s;

-- name: alert_destination_failed
UPDATE alert_destinations
SET failures = failures + 1, last_error = %(error)s,
    retry_at = now() + make_interval(secs => least(3600, %(base_s)s * 2 ^ least(failures, 12)))
WHERE key = %(key)s;
