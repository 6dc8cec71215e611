-- Queries of engine/jobs/ingest.py: staging, COPY, sightings, batches, scrape runs.

-- name: jobs_stage_create
-- One staging table per session, emptied at each commit: COPY lands here, then one INSERT ...
-- SELECT moves the new postings into jobs. Created once per pooled connection. Its columns are
-- those the store writes (the jobs_input view), without jobs' NOT NULLs: the INSERT checks them.
CREATE TEMP TABLE IF NOT EXISTS jobs_stage (LIKE jobs_input) ON COMMIT DELETE ROWS;

-- name: jobs_stage_copy
COPY jobs_stage FROM STDIN (FORMAT BINARY)

-- name: jobs_copy
-- New postings straight into jobs, when they were all missing a moment ago; fails on the unique
-- index if another worker stored one meanwhile (the store then takes the staging path). COPY
-- cannot write through a view: these are jobs_input's columns, in its order (a test checks).
COPY jobs (
    job_url, site, site_job_id, title, company, company_url, description, location_raw, city,
    region, country, is_remote, date_posted, job_type, salary_min, salary_max, salary_currency,
    salary_interval, emails, extra, node_id, search_term
) FROM STDIN (FORMAT BINARY)

-- name: jobs_known_ids
-- Which of these canonical URLs are already stored (the unique index answers it).
SELECT id, job_url FROM jobs WHERE job_url = ANY(%(urls)s::text[]);

-- name: jobs_insert_staged
-- Only staged postings that are not stored yet reach the INSERT: the generated tsvector is
-- computed for every row an INSERT sees, even when ON CONFLICT then skips it. ON CONFLICT still
-- covers the race with another worker inserting the same posting meanwhile.
INSERT INTO jobs_input
SELECT * FROM jobs_stage s
WHERE NOT EXISTS (SELECT 1 FROM jobs j WHERE j.job_url = s.job_url)
ON CONFLICT (job_url) DO NOTHING
RETURNING job_url;

-- name: jobs_record_sightings
-- Known postings only get their sighting counted, in the narrow job_sightings row; the jobs row
-- (and its tsvector) is never rewritten. Sorted by id so concurrent batches lock in one order.
-- The ids were looked up before the batch was spooled; one deleted since is skipped.
INSERT INTO job_sightings AS s (job_id, last_seen_at, seen_count, last_node_id)
SELECT t.id, now(), 2, %(node_id)s
FROM unnest(%(ids)s::bigint[]) AS t (id)
WHERE EXISTS (SELECT 1 FROM jobs j WHERE j.id = t.id)
ORDER BY t.id
ON CONFLICT (job_id) DO UPDATE
SET last_seen_at = excluded.last_seen_at,
    seen_count = s.seen_count + 1,
    last_node_id = coalesce(excluded.last_node_id, s.last_node_id);

-- name: batch_mark_ingested
INSERT INTO ingested_batches (batch_id) VALUES (%(batch_id)s)
ON CONFLICT (batch_id) DO NOTHING
RETURNING batch_id;

-- name: batch_prune_ingested
DELETE FROM ingested_batches WHERE committed_at < now() - interval '30 days';

-- name: scrape_run_insert
-- A spooled batch may be stored after its node was removed (the supervisor replays every spool):
-- its run then gets node_id NULL, as ON DELETE SET NULL would have given it (jobs.node_id has no
-- foreign key and keeps the old id as provenance).
INSERT INTO scrape_runs (
    node_id, site, location, search_term, started_at, finished_at, found, new, outcome, error, proxy
)
VALUES (
    (SELECT n.id FROM nodes n WHERE n.id = %(node_id)s), %(site)s, %(location)s, %(search_term)s, coalesce(%(started_at)s, now()),
    coalesce(%(finished_at)s, now()), %(found)s, %(new)s, %(outcome)s, %(error)s, %(proxy)s
)
RETURNING id;
