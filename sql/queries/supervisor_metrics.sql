-- Queries of engine/supervisor/metrics.py: what /metrics reports, read at each scrape.

-- name: metrics_nodes
-- Every node with its status, host, health (node_health, sql/0009) and live figures.
SELECT n.id, n.name, n.status::text AS status, n.desired::text AS desired,
       h.hostname AS host, n.restarts, n.rss_bytes, nh.health
FROM nodes n
LEFT JOIN hosts h ON h.id = n.host_id
CROSS JOIN LATERAL node_health(n.id, n.spec, %(failing_after)s) nh
ORDER BY n.id;

-- name: metrics_node_totals
-- The cumulative scrape counters of the nodes that exist (scrape_totals, sql/0015).
SELECT n.name AS node, t.site, t.outcome, t.runs, t.found, t.new
FROM scrape_totals t
JOIN nodes n ON n.id = t.node_id
ORDER BY n.id, t.site, t.outcome;

-- name: metrics_durations
-- The duration histogram per site and outcome over every scrape ever recorded, removed nodes'
-- included (so it never decreases): non-cumulative counts per slot of scrape_duration_bounds().
SELECT b.site, b.outcome, t.runs, t.seconds, array_agg(b.n ORDER BY b.slot) AS buckets
FROM (
    SELECT x.site, x.outcome, s.slot, sum(s.n)::bigint AS n
    FROM scrape_totals x
    CROSS JOIN LATERAL unnest(x.buckets) WITH ORDINALITY AS s (n, slot)
    GROUP BY x.site, x.outcome, s.slot
) b
JOIN (
    SELECT site, outcome, sum(runs)::bigint AS runs, sum(seconds) AS seconds
    FROM scrape_totals
    GROUP BY site, outcome
) t USING (site, outcome)
GROUP BY b.site, b.outcome, t.runs, t.seconds
ORDER BY b.site, b.outcome;

-- name: metrics_duration_bounds
SELECT scrape_duration_bounds() AS bounds;
