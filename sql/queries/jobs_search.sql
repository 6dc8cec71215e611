-- Queries of engine/jobs/search.py: one posting, totals, and the full-text search with its
-- estimates and strategies. The filter itself is jobs_matching() (sql/0007_shared_queries.sql).

-- name: job_get
SELECT id, job_url, site, site_job_id, title, company, company_url, description, location_raw,
       city, region, country, is_remote, date_posted, job_type, salary_min, salary_max,
       salary_currency, salary_interval, emails, extra, node_id, search_term, first_seen_at,
       posted_or_seen, last_seen_at, seen_count
FROM jobs_full
WHERE id = %(id)s;

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
-- (unnamed, unprepared), so "NULL IS NULL OR ..." in jobs_matching folds away and each search gets
-- its own plan.
SELECT j.id, j.job_url, j.title, j.company, j.city, j.region, j.country, j.is_remote,
       j.date_posted, j.site, j.job_type, j.salary_min, j.salary_max, j.salary_currency,
       j.salary_interval, j.posted_or_seen, j.first_seen_at
FROM jobs_matching(websearch_to_tsquery('english', %(text)s::text), %(country)s::text,
                   %(region)s::text, %(city)s::text, %(site)s::text, %(remote)s::boolean,
                   %(days)s::integer) j
ORDER BY j.posted_or_seen DESC, j.id DESC
LIMIT %(limit)s OFFSET %(offset)s;

-- name: jobs_search_estimate
-- The planner's estimate of how many postings match (text and filters), for choosing how to
-- search; planning only, nothing is read.
EXPLAIN (FORMAT JSON)
SELECT 1
FROM jobs_matching(websearch_to_tsquery('english', %(text)s::text), %(country)s::text,
                   %(region)s::text, %(city)s::text, %(site)s::text, %(remote)s::boolean,
                   %(days)s::integer) j;

-- name: jobs_lexeme_estimate
-- One lexeme of the query alone (with the filters): conjunctions are estimated as if their
-- words were independent, and words in job postings are anything but ("machine learning").
EXPLAIN (FORMAT JSON)
SELECT 1
FROM jobs_matching(%(lexeme)s::tsquery, %(country)s::text, %(region)s::text, %(city)s::text,
                   %(site)s::text, %(remote)s::boolean, %(days)s::integer) j;

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
FROM jobs_matching(NULL, %(country)s::text, %(region)s::text, %(city)s::text, %(site)s::text,
                   %(remote)s::boolean, %(days)s::integer) j;

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
