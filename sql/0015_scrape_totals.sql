-- Cumulative scrape counters for the Prometheus metrics (engine/supervisor/metrics.py).
--
-- scrape_runs is pruned by age (JOBFLEET_RUNS_KEEP_DAYS), so counters summed from it would go
-- backwards, and Prometheus would read every prune as a counter reset. scrape_totals keeps, per
-- node, site and outcome, the number of scrapes, postings found and new, the seconds spent and a
-- histogram of durations. A trigger on scrape_runs adds every new row in the same transaction as
-- its insert, whoever writes it (a worker, the supervisor's spool sweep, an import), and the
-- retention never touches this table.
--
-- A removed node's rows are kept with node_id NULL (ON DELETE SET NULL): the per-node series end
-- with the node, while the fleet-wide duration histogram (summed over every row) never
-- decreases. A run stored after its node was removed (a spool replay) has no node to add to and
-- gets a row of its own with node_id NULL (rare: the unique key treats NULLs as distinct).
--
-- A worker writes only its own node's rows, one scrape_runs row per transaction, as the last
-- statement before COMMIT: the row lock the upsert takes is held for moments, by nobody else.

-- The upper bounds (seconds) of the duration buckets; the last slot of `buckets` counts the
-- scrapes longer than every bound (Prometheus' +Inf bucket is the total). Changing them needs a
-- migration that rebuilds scrape_totals.buckets.
CREATE FUNCTION scrape_duration_bounds() RETURNS double precision[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT ARRAY[0.5, 1, 2, 5, 10, 20, 30, 60, 120, 180, 300]::double precision[] $$;

-- The slot (1-based) of a duration: the first bound it does not exceed (Prometheus' `le`).
CREATE FUNCTION scrape_duration_slot(seconds double precision) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
SELECT 1 + count(*)::integer FROM unnest(scrape_duration_bounds()) AS b WHERE b < seconds
$$;

CREATE TABLE scrape_totals (
    node_id  bigint REFERENCES nodes (id) ON DELETE SET NULL,
    site     text NOT NULL,
    outcome  text NOT NULL,
    runs     bigint NOT NULL DEFAULT 0,
    found    bigint NOT NULL DEFAULT 0,
    new      bigint NOT NULL DEFAULT 0,
    seconds  double precision NOT NULL DEFAULT 0,
    -- scrapes per duration slot (not cumulative), cardinality(scrape_duration_bounds()) + 1
    buckets  bigint[] NOT NULL,
    UNIQUE (node_id, site, outcome)
);

CREATE FUNCTION scrape_totals_add() RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
    secs double precision := greatest(extract(epoch FROM NEW.finished_at - NEW.started_at), 0);
    slot integer := scrape_duration_slot(secs);
    one bigint[] := array_fill(0::bigint, ARRAY[cardinality(scrape_duration_bounds()) + 1]);
BEGIN
    one[slot] := 1;
    IF NEW.node_id IS NULL THEN
        INSERT INTO scrape_totals (node_id, site, outcome, runs, found, new, seconds, buckets)
        VALUES (NULL, NEW.site, NEW.outcome, 1, NEW.found, NEW.new, secs, one);
    ELSE
        INSERT INTO scrape_totals AS t (node_id, site, outcome, runs, found, new, seconds, buckets)
        VALUES (NEW.node_id, NEW.site, NEW.outcome, 1, NEW.found, NEW.new, secs, one)
        ON CONFLICT (node_id, site, outcome) DO UPDATE
        SET runs = t.runs + 1,
            found = t.found + EXCLUDED.found,
            new = t.new + EXCLUDED.new,
            seconds = t.seconds + EXCLUDED.seconds,
            buckets[slot] = t.buckets[slot] + 1;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER scrape_runs_add_to_totals
AFTER INSERT ON scrape_runs
FOR EACH ROW EXECUTE FUNCTION scrape_totals_add();

-- The history kept so far counts from the start.
WITH r AS (
    SELECT node_id, site, outcome, found, new,
           greatest(extract(epoch FROM finished_at - started_at), 0) AS secs
    FROM scrape_runs
),
g AS (
    SELECT node_id, site, outcome, count(*) AS runs, sum(found) AS found, sum(new) AS new,
           sum(secs) AS seconds, array_agg(scrape_duration_slot(secs)) AS slots
    FROM r
    GROUP BY node_id, site, outcome
)
INSERT INTO scrape_totals (node_id, site, outcome, runs, found, new, seconds, buckets)
SELECT g.node_id, g.site, g.outcome, g.runs, g.found, g.new, g.seconds,
       ARRAY(SELECT (SELECT count(*) FROM unnest(g.slots) AS s WHERE s = i)
             FROM generate_series(1, cardinality(scrape_duration_bounds()) + 1) AS i
             ORDER BY i)
FROM g;
