-- Queries of engine/jobs/history.py: a node's scrapes and memory over time (the node screen's
-- charts and the dashboard cards' sparklines). %(now)s is NULL for the database clock, or a
-- fixed time (tests). Buckets are counted from the window's start, oldest first.

-- name: history_runs_per_bucket
-- New postings, scrapes and durations per bucket. scrape_runs_node_idx (node_id, started_at).
SELECT floor(extract(epoch FROM r.started_at - %(start_at)s::timestamptz)
             / %(bucket_s)s)::int AS bucket,
       sum(r.new)::bigint AS new,
       sum(r.found)::bigint AS found,
       count(*)::int AS scrapes,
       avg(extract(epoch FROM r.finished_at - r.started_at))::float8 AS avg_s,
       max(extract(epoch FROM r.finished_at - r.started_at))::float8 AS max_s
FROM scrape_runs r
WHERE r.node_id = %(node_id)s
  AND r.started_at >= %(start_at)s::timestamptz AND r.started_at < %(end_at)s::timestamptz
GROUP BY 1
ORDER BY 1;

-- name: history_outcomes_by_site
SELECT r.site, r.outcome, count(*)::int AS n
FROM scrape_runs r
WHERE r.node_id = %(node_id)s
  AND r.started_at >= %(start_at)s::timestamptz AND r.started_at < %(end_at)s::timestamptz
GROUP BY 1, 2
ORDER BY 1, 2;

-- name: history_rss_per_bucket
-- The largest sample per bucket (memory growth is what an operator looks for).
SELECT floor(extract(epoch FROM s.sampled_at - %(start_at)s::timestamptz)
             / %(bucket_s)s)::int AS bucket,
       max(s.rss_bytes)::bigint AS rss_bytes
FROM node_rss_samples s
WHERE s.node_id = %(node_id)s
  AND s.sampled_at >= %(start_at)s::timestamptz AND s.sampled_at < %(end_at)s::timestamptz
GROUP BY 1
ORDER BY 1;

-- name: history_window
-- The window's end: the bucket boundary at or after now (so buckets are whole hours, or whole
-- six-hour spans, in UTC).
SELECT to_timestamp(ceil(extract(epoch FROM coalesce(%(now)s::timestamptz, now()))
                         / %(bucket_s)s) * %(bucket_s)s) AS end_at;

-- name: history_recent_runs
SELECT r.id, r.site, r.location, r.started_at,
       extract(epoch FROM r.finished_at - r.started_at)::float8 AS seconds,
       r.found, r.new, r.outcome, r.error
FROM scrape_runs r
WHERE r.node_id = %(node_id)s
ORDER BY r.started_at DESC, r.id DESC
LIMIT %(limit)s;

-- name: history_recent_errors
-- The node's failed scrapes, newest first (walks scrape_runs_node_idx, skipping the ok ones).
SELECT r.id, r.site, r.location, r.started_at, r.outcome, r.error
FROM scrape_runs r
WHERE r.node_id = %(node_id)s AND r.outcome <> 'ok'
ORDER BY r.started_at DESC, r.id DESC
LIMIT %(limit)s;

-- name: history_sparklines
-- New postings of each node in %(buckets)s buckets, newest last. The bucket is as small as lets
-- the node's scrapes of the last day fill the line: a node scraping for ten minutes gets
-- one-minute bars rather than one hourly bar; after six hours the bars are hours. Per node, the
-- oldest scrape of the day is one probe of scrape_runs_node_idx (node_id, started_at); the sums
-- then read no further back than a day (the constant bound keeps a week of runs unread).
WITH clock AS (
    SELECT coalesce(%(now)s::timestamptz, now()) AS now
), step AS (
    SELECT n.node_id,
           CASE WHEN c.now - f.first_at < make_interval(mins => %(buckets)s) THEN 60
                WHEN c.now - f.first_at < make_interval(mins => 5 * %(buckets)s) THEN 300
                WHEN c.now - f.first_at < make_interval(mins => 15 * %(buckets)s) THEN 900
                ELSE 3600 END AS step_s
    FROM unnest(%(node_ids)s::bigint[]) AS n (node_id)
    CROSS JOIN clock c
    CROSS JOIN LATERAL (
        SELECT r.started_at AS first_at
        FROM scrape_runs r
        WHERE r.node_id = n.node_id
          AND r.started_at > c.now - interval '24 hours' AND r.started_at <= c.now
        ORDER BY r.started_at
        LIMIT 1
    ) f
)
SELECT r.node_id, s.step_s,
       floor(extract(epoch FROM c.now - r.started_at) / s.step_s)::int AS buckets_ago,
       sum(r.new)::bigint AS new
FROM step s
CROSS JOIN clock c
JOIN scrape_runs r ON r.node_id = s.node_id
WHERE r.started_at > c.now - make_interval(secs => s.step_s * %(buckets)s)
  AND r.started_at > c.now - interval '24 hours'
  AND r.started_at <= c.now
GROUP BY 1, 2, 3;
