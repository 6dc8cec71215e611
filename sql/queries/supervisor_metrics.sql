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
-- One sum per slot, written out: the 12 slots of sql/0015 (a test keeps them in step), in one
-- pass over scrape_totals (unnesting the arrays and grouping by slot took 10 times longer).
SELECT site, outcome, sum(runs)::bigint AS runs, sum(seconds) AS seconds,
       ARRAY[sum(buckets[1]), sum(buckets[2]), sum(buckets[3]), sum(buckets[4]),
             sum(buckets[5]), sum(buckets[6]), sum(buckets[7]), sum(buckets[8]),
             sum(buckets[9]), sum(buckets[10]), sum(buckets[11]), sum(buckets[12])
       ]::bigint[] AS buckets
FROM scrape_totals
GROUP BY site, outcome
ORDER BY site, outcome;

-- name: metrics_duration_bounds
SELECT scrape_duration_bounds() AS bounds;
