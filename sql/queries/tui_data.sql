-- Queries of tui/data.py: what no engine module offers. Node lists, logs and jobs come from
-- engine.fleet.nodes, engine.fleet.events and engine.jobs.search; only the header's cheap totals
-- live here.

-- name: tui_totals
-- Polled every few seconds by every open TUI, so it must stay cheap on a big jobs table:
-- the total is the planner's estimate once the table is large (exact counts scan it all), and
-- "today" (database clock) walks the first_seen_at index.
SELECT now() AS db_now,
       (SELECT coalesce(jsonb_object_agg(status, n), '{}'::jsonb)
          FROM (SELECT status::text AS status, count(*) AS n FROM nodes GROUP BY status) s
       ) AS nodes_by_status,
       (SELECT count(*) FROM jobs WHERE first_seen_at >= date_trunc('day', now())) AS jobs_today,
       (SELECT CASE WHEN c.reltuples >= 100000 THEN c.reltuples::bigint
                    ELSE (SELECT count(*) FROM jobs) END
          FROM pg_class c WHERE c.oid = 'jobs'::regclass) AS jobs_total,
       (SELECT c.reltuples >= 100000 FROM pg_class c WHERE c.oid = 'jobs'::regclass)
           AS jobs_total_estimated,
       -- open alerts: a few rows at most, found through the partial index of open alerts
       (SELECT count(*) FROM alerts WHERE resolved_at IS NULL) AS alerts_open,
       (SELECT title FROM alerts WHERE resolved_at IS NULL
        ORDER BY opened_at DESC, id DESC LIMIT 1) AS alert_latest;
