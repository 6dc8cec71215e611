-- Queries of the store (engine/store.py): ingest, sightings, search, stats, export.

-- name: jobs_stage_create
-- One staging table per session, emptied at each commit: COPY lands here, then one INSERT ...
-- SELECT moves the new postings into jobs. Created once per pooled connection.
CREATE TEMP TABLE IF NOT EXISTS jobs_stage (
    job_url          text NOT NULL,
    site             text NOT NULL,
    site_job_id      text,
    title            text,
    company          text,
    company_url      text,
    description      text,
    location_raw     text,
    city             text,
    region           text,
    country          text,
    is_remote        boolean,
    date_posted      date,
    job_type         text,
    salary_min       double precision,
    salary_max       double precision,
    salary_currency  text,
    salary_interval  text,
    emails           text[],
    extra            jsonb NOT NULL,
    node_id          bigint,
    search_term      text
) ON COMMIT DELETE ROWS;

-- name: jobs_stage_copy
COPY jobs_stage (
    job_url, site, site_job_id, title, company, company_url, description, location_raw, city,
    region, country, is_remote, date_posted, job_type, salary_min, salary_max, salary_currency,
    salary_interval, emails, extra, node_id, search_term
) FROM STDIN (FORMAT BINARY)

-- name: jobs_copy
-- New postings straight into jobs, when they were all missing a moment ago; fails on the unique
-- index if another worker stored one meanwhile (the store then takes the staging path).
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
INSERT INTO jobs (
    job_url, site, site_job_id, title, company, company_url, description, location_raw, city,
    region, country, is_remote, date_posted, job_type, salary_min, salary_max, salary_currency,
    salary_interval, emails, extra, node_id, search_term
)
SELECT job_url, site, site_job_id, title, company, company_url, description, location_raw, city,
       region, country, is_remote, date_posted, job_type, salary_min, salary_max, salary_currency,
       salary_interval, emails, extra, node_id, search_term
FROM jobs_stage s
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
INSERT INTO scrape_runs (
    node_id, site, location, search_term, started_at, finished_at, found, new, outcome, error, proxy
)
VALUES (
    %(node_id)s, %(site)s, %(location)s, %(search_term)s, coalesce(%(started_at)s, now()),
    coalesce(%(finished_at)s, now()), %(found)s, %(new)s, %(outcome)s, %(error)s, %(proxy)s
)
RETURNING id;

-- name: job_get
SELECT j.id, j.job_url, j.site, j.site_job_id, j.title, j.company, j.company_url, j.description,
       j.location_raw, j.city, j.region, j.country, j.is_remote, j.date_posted, j.job_type,
       j.salary_min, j.salary_max, j.salary_currency, j.salary_interval, j.emails, j.extra,
       j.node_id, j.search_term, j.first_seen_at, j.posted_or_seen,
       coalesce(s.last_seen_at, j.first_seen_at) AS last_seen_at,
       coalesce(s.seen_count, 1) AS seen_count
FROM jobs j
LEFT JOIN job_sightings s ON s.job_id = j.id
WHERE j.id = %(id)s;

-- name: job_stats_totals
SELECT count(*) AS total,
       count(*) FILTER (WHERE first_seen_at >= date_trunc('day', now())) AS today
FROM jobs;

-- name: job_stats_by_site
SELECT site AS key, count(*) AS n FROM jobs GROUP BY site ORDER BY n DESC, site;

-- name: job_stats_by_country
SELECT coalesce(country, '') AS key, count(*) AS n
FROM jobs GROUP BY country ORDER BY n DESC, key;

-- name: job_stats_by_day
-- New postings per day (by when we first saw them) over the last 30 days.
SELECT (first_seen_at AT TIME ZONE 'UTC')::date AS day, count(*) AS n
FROM jobs
WHERE first_seen_at >= now() - interval '30 days'
GROUP BY day
ORDER BY day DESC;

-- name: jobs_search
-- Filters left NULL drop out: parameters are bound as constants when the statement is planned
-- (unnamed, unprepared), so "NULL IS NULL OR ..." folds away and each search gets its own plan.
SELECT j.id, j.job_url, j.title, j.company, j.city, j.region, j.country, j.is_remote,
       j.date_posted, j.site, j.job_type, j.salary_min, j.salary_max, j.salary_currency,
       j.salary_interval, j.posted_or_seen, j.first_seen_at
FROM jobs j
WHERE (%(text)s::text IS NULL OR j.search_vector @@ websearch_to_tsquery('english', %(text)s))
  AND (%(country)s::text IS NULL OR j.country = %(country)s)
  AND (%(region)s::text IS NULL OR j.region = %(region)s)
  AND (%(city)s::text IS NULL OR lower(j.city) = lower(%(city)s))
  AND (%(site)s::text IS NULL OR j.site = %(site)s)
  AND (%(remote)s::boolean IS NULL OR j.is_remote = %(remote)s)
  AND (%(days)s::integer IS NULL OR j.posted_or_seen >= current_date - %(days)s::integer)
ORDER BY j.posted_or_seen DESC, j.id DESC
LIMIT %(limit)s OFFSET %(offset)s;

-- name: jobs_search_estimate
-- The planner's estimate of how many postings match (text and filters), for choosing how to
-- search; planning only, nothing is read.
EXPLAIN (FORMAT JSON)
SELECT 1
FROM jobs j
WHERE (%(text)s::text IS NULL OR j.search_vector @@ websearch_to_tsquery('english', %(text)s))
  AND (%(country)s::text IS NULL OR j.country = %(country)s)
  AND (%(region)s::text IS NULL OR j.region = %(region)s)
  AND (%(city)s::text IS NULL OR lower(j.city) = lower(%(city)s))
  AND (%(site)s::text IS NULL OR j.site = %(site)s)
  AND (%(remote)s::boolean IS NULL OR j.is_remote = %(remote)s)
  AND (%(days)s::integer IS NULL OR j.posted_or_seen >= current_date - %(days)s::integer);

-- name: jobs_lexeme_estimate
-- One lexeme of the query alone (with the filters): conjunctions are estimated as if their
-- words were independent, and words in job postings are anything but ("machine learning").
EXPLAIN (FORMAT JSON)
SELECT 1
FROM jobs j
WHERE j.search_vector @@ %(lexeme)s::tsquery
  AND (%(country)s::text IS NULL OR j.country = %(country)s)
  AND (%(region)s::text IS NULL OR j.region = %(region)s)
  AND (%(city)s::text IS NULL OR lower(j.city) = lower(%(city)s))
  AND (%(site)s::text IS NULL OR j.site = %(site)s)
  AND (%(remote)s::boolean IS NULL OR j.is_remote = %(remote)s)
  AND (%(days)s::integer IS NULL OR j.posted_or_seen >= current_date - %(days)s::integer);

-- name: search_query_tree
-- The indexable part of the query, as text: lexemes in quotes, operators between them.
SELECT querytree(websearch_to_tsquery('english', %(text)s)) AS tree;

-- name: search_guard
-- A search strategy chosen on a wrong estimate may test or sort a great many postings: it is cut
-- short and the other strategy runs.
SELECT set_config('statement_timeout', %(ms)s, true);

-- name: jobs_filter_estimate
-- The same without the text: how many postings a newest-first walk would pass over.
EXPLAIN (FORMAT JSON)
SELECT 1
FROM jobs j
WHERE (%(country)s::text IS NULL OR j.country = %(country)s)
  AND (%(region)s::text IS NULL OR j.region = %(region)s)
  AND (%(city)s::text IS NULL OR lower(j.city) = lower(%(city)s))
  AND (%(site)s::text IS NULL OR j.site = %(site)s)
  AND (%(remote)s::boolean IS NULL OR j.is_remote = %(remote)s)
  AND (%(days)s::integer IS NULL OR j.posted_or_seen >= current_date - %(days)s::integer);

-- name: search_walk_index
-- Strategy "walk": follow a newest-first index and test each posting until a page is full.
-- Cheap when matches are dense; a bitmap scan, or an unordered index scan plus a sort, would
-- read every match (or every filtered posting) first.
SET LOCAL enable_bitmapscan = off;

-- name: search_walk_ordered
SET LOCAL enable_sort = off;

-- name: search_bitmap_index
-- Strategy "bitmap": collect the (few) matches through the GIN index, then sort them. An index
-- walk would test posting after posting to find them.
SET LOCAL enable_indexscan = off;

-- name: jobs_export_count
SELECT count(*) AS n
FROM jobs j
WHERE (%(text)s::text IS NULL OR j.search_vector @@ websearch_to_tsquery('english', %(text)s))
  AND (%(country)s::text IS NULL OR j.country = %(country)s)
  AND (%(region)s::text IS NULL OR j.region = %(region)s)
  AND (%(city)s::text IS NULL OR lower(j.city) = lower(%(city)s))
  AND (%(site)s::text IS NULL OR j.site = %(site)s)
  AND (%(remote)s::boolean IS NULL OR j.is_remote = %(remote)s)
  AND (%(days)s::integer IS NULL OR j.posted_or_seen >= current_date - %(days)s::integer);

-- name: jobs_export
-- In id order (the order they were stored), which streams straight off the primary key.
SELECT j.id, j.job_url, j.site, j.site_job_id, j.title, j.company, j.company_url, j.description,
       j.location_raw, j.city, j.region, j.country, j.is_remote, j.date_posted, j.job_type,
       j.salary_min, j.salary_max, j.salary_currency, j.salary_interval, j.emails, j.extra,
       j.node_id, j.search_term, j.first_seen_at, j.posted_or_seen,
       coalesce(s.last_seen_at, j.first_seen_at) AS last_seen_at,
       coalesce(s.seen_count, 1) AS seen_count
FROM jobs j
LEFT JOIN job_sightings s ON s.job_id = j.id
WHERE (%(text)s::text IS NULL OR j.search_vector @@ websearch_to_tsquery('english', %(text)s))
  AND (%(country)s::text IS NULL OR j.country = %(country)s)
  AND (%(region)s::text IS NULL OR j.region = %(region)s)
  AND (%(city)s::text IS NULL OR lower(j.city) = lower(%(city)s))
  AND (%(site)s::text IS NULL OR j.site = %(site)s)
  AND (%(remote)s::boolean IS NULL OR j.is_remote = %(remote)s)
  AND (%(days)s::integer IS NULL OR j.posted_or_seen >= current_date - %(days)s::integer)
ORDER BY j.id;
