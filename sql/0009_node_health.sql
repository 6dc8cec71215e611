-- A node's health, judged from its recent scrapes (scrape_runs), so that a node whose every
-- scrape fails no longer looks like a healthy running node.
--
-- For each site of the node's spec, its last `failing_after` scrapes are read (newest first) and
-- the failures in a row are counted (blocked, timeout and error are failures; an ok ends the
-- run). Then the node is:
--   unknown   no site of its spec has been scraped yet;
--   failing   every scraped site failed on each of its last `failing_after` scrapes;
--   degraded  some site's latest scrape failed (but not every site is failing);
--   ok        every scraped site's latest scrape succeeded.
-- health_reason says why, a clause per site in the spec's order, for instance
-- "linkedin: 3 timeouts in a row; indeed ok". Sites no longer in the spec do not count.
--
-- `failing_after` is a setting (JOBFLEET_FAILING_AFTER), so this is a function the named
-- queries join LATERALly (list_nodes, get_node_by_id) rather than a column of nodes_listed.
-- LANGUAGE sql, STABLE, one statement: the planner inlines it into the calling query (measured
-- 20 times faster than the same body in PL/pgSQL, called once per node). The sites are unnested
-- from an array rather than read with jsonb_array_elements_text: the planner guesses 10 elements
-- for the one and 100 rows for the other, and the higher guess put a list of a few hundred nodes
-- above jit_above_cost (JIT compiling on every poll of the TUI).

-- The last scrapes of one node and site, newest first (what the function reads per site).
CREATE INDEX scrape_runs_node_site_idx ON scrape_runs (node_id, site, started_at DESC, id DESC);

CREATE FUNCTION node_health(node_id bigint, spec jsonb, failing_after integer)
RETURNS TABLE (health text, health_reason text)
LANGUAGE sql STABLE
AS $$
WITH sites AS (
    SELECT s.site, s.ord, r.outcomes
    FROM unnest(ARRAY(
             SELECT jsonb_array_elements_text(
                        CASE WHEN jsonb_typeof(node_health.spec -> 'sites') = 'array'
                             THEN node_health.spec -> 'sites' ELSE '[]'::jsonb END)
         )) WITH ORDINALITY AS s (site, ord)
    CROSS JOIN LATERAL (
        SELECT array_agg(last.outcome ORDER BY last.started_at DESC, last.id DESC) AS outcomes
        FROM (
            SELECT sr.outcome, sr.started_at, sr.id
            FROM scrape_runs sr
            WHERE sr.node_id = node_health.node_id AND sr.site = s.site
            ORDER BY sr.started_at DESC, sr.id DESC
            LIMIT greatest(node_health.failing_after, 1)
        ) last
    ) r
),
streaks AS (
    -- failures in a row: the scrapes before the newest ok (all of them when none was ok)
    SELECT site, ord, outcomes,
           coalesce(array_position(outcomes, 'ok') - 1, cardinality(outcomes)) AS failed
    FROM sites
),
clauses AS (
    SELECT ord, failed,
           CASE
               WHEN outcomes IS NULL THEN site || ': no scrape yet'
               WHEN failed = 0 THEN site || ' ok'
               ELSE site || ': ' || (
                   SELECT CASE
                              WHEN count(DISTINCT o) > 1 THEN failed || ' failures in a row'
                              WHEN min(o) = 'blocked' AND failed = 1 THEN 'blocked'
                              WHEN min(o) = 'blocked' THEN 'blocked ' || failed || ' times in a row'
                              WHEN failed = 1 THEN '1 ' || min(o)
                              ELSE failed || ' ' || min(o) || 's in a row'
                          END
                   FROM unnest(outcomes[1:failed]) AS o
               )
           END AS clause
    FROM streaks
)
SELECT CASE
           WHEN count(*) FILTER (WHERE failed IS NOT NULL) = 0 THEN 'unknown'
           WHEN bool_and(failed >= greatest(node_health.failing_after, 1))
               FILTER (WHERE failed IS NOT NULL) THEN 'failing'
           WHEN bool_or(failed > 0) THEN 'degraded'
           ELSE 'ok'
       END,
       CASE
           WHEN count(*) FILTER (WHERE failed IS NOT NULL) = 0 THEN 'no scrape yet'
           ELSE string_agg(clause, '; ' ORDER BY ord)
       END
FROM clauses
$$;
