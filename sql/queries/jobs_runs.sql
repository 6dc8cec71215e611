-- Queries of engine/jobs/runs.py: reading the scrape_runs history, and its retention.

-- name: list_scrape_runs
-- Newest first. With a node: scrape_runs_node_idx; across nodes: scrape_runs_started_idx (the
-- "IS NULL OR" filters fold away in the custom plan psycopg's bound parameters get).
SELECT r.id, r.node_id, n.name AS node_name, r.site, r.location, r.search_term,
       r.started_at, r.finished_at,
       extract(epoch FROM r.finished_at - r.started_at)::float8 AS seconds,
       r.found, r.new, r.outcome, r.error, r.proxy
FROM scrape_runs r
LEFT JOIN nodes n ON n.id = r.node_id
WHERE r.started_at >= now() - make_interval(secs => %(since_s)s)
  AND (%(node_id)s::bigint IS NULL OR r.node_id = %(node_id)s)
  AND (%(site)s::text IS NULL OR r.site = %(site)s)
  AND (%(outcome)s::text IS NULL OR r.outcome = %(outcome)s)
ORDER BY r.started_at DESC, r.id DESC
LIMIT %(limit)s;

-- name: prune_scrape_runs_by_age
DELETE FROM scrape_runs WHERE started_at < now() - make_interval(secs => %(keep_days)s * 86400);

-- name: prune_rss_samples_by_age
DELETE FROM node_rss_samples WHERE sampled_at < now() - make_interval(secs => %(keep_days)s * 86400);
