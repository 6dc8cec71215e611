-- Queries of engine/jobs/search.py: one posting, totals, and the
-- full-text search. The filter itself is jobs_matching() (sql/0007, city names from 0017).

-- name: job_get
SELECT id, job_url, site, site_job_id, title, company, company_url, description, location_raw,
       city, region, country, is_remote, date_posted, job_type, salary_min, salary_max,
       salary_currency, salary_interval, emails, extra, node_id, search_term, first_seen_at,
       posted_or_seen, last_seen_at, seen_count, group_id
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

-- name: jobs_search_plain
-- The plain query: what a search must return (a page of postings, newest first). The search
-- itself (jobs_newest in sql/0017) finds the same rows faster; the tests and bench/bench_search.py
-- compare the two. Filters left NULL drop out: parameters are bound as constants when the
-- statement is planned (unnamed, unprepared), so "NULL IS NULL OR ..." in jobs_matching folds away.
-- It returns the columns of search_page (what a page of results shows), so that the two are
-- timed doing the same work.
SELECT j.id, j.group_id, j.job_url, j.title, j.company, j.city, j.region, j.country,
       j.is_remote, j.location_raw, j.date_posted, j.site, j.job_type, j.salary_min,
       j.salary_max, j.salary_currency, j.salary_interval, j.posted_or_seen, j.first_seen_at
FROM jobs_matching(websearch_to_tsquery('english', %(text)s::text), %(country)s::text,
                   %(region)s::text, %(city)s::text, %(site)s::text, %(remote)s::boolean,
                   %(days)s::integer) j
ORDER BY j.posted_or_seen DESC, j.id DESC
LIMIT %(limit)s OFFSET %(offset)s;

-- name: jobs_search_plain_groups
-- The plain query of the merged view: groups ordered by their newest matching posting.
SELECT m.group_id, m.id, m.posted_or_seen
FROM (SELECT j.group_id, j.id, j.posted_or_seen,
             row_number() OVER (PARTITION BY j.group_id
                                ORDER BY j.posted_or_seen DESC, j.id DESC) AS nth
      FROM jobs_matching(websearch_to_tsquery('english', %(text)s::text), %(country)s::text,
                         %(region)s::text, %(city)s::text, %(site)s::text, %(remote)s::boolean,
                         %(days)s::integer) j) m
WHERE m.nth = 1
ORDER BY m.posted_or_seen DESC, m.id DESC
LIMIT %(limit)s OFFSET %(offset)s;

-- name: search_page
-- A page of postings, newest first: jobs_newest (sql/0017) finds the page's ids range by range,
-- in one call; then their columns.
WITH m AS MATERIALIZED (
    SELECT *
    FROM jobs_newest(websearch_to_tsquery('english', %(text)s::text), %(country)s::text,
                     %(region)s::text, %(city)s::text, %(site)s::text, %(remote)s::boolean,
                     %(days)s::integer, %(want)s::integer, false, %(walk_share)s::float8,
                     %(first_rows)s::integer)
         WITH ORDINALITY AS m (id, group_id, posted_or_seen, ord)
),
page AS (SELECT * FROM m ORDER BY m.ord OFFSET %(offset)s LIMIT %(limit)s)
SELECT j.id, j.group_id, j.job_url, j.title, j.company, j.city, j.region, j.country,
       j.is_remote, j.location_raw, j.date_posted, j.site, j.job_type, j.salary_min,
       j.salary_max, j.salary_currency, j.salary_interval, j.posted_or_seen, j.first_seen_at
FROM page
JOIN jobs j ON j.id = page.id
ORDER BY page.ord;

-- name: search_group_page
-- A page of jobs (groups), newest first by their newest matching posting (which leads the row),
-- with every posting of each group and its sightings, newest first within the group.
WITH m AS MATERIALIZED (
    SELECT *
    FROM jobs_newest(websearch_to_tsquery('english', %(text)s::text), %(country)s::text,
                     %(region)s::text, %(city)s::text, %(site)s::text, %(remote)s::boolean,
                     %(days)s::integer, %(want)s::integer, true, %(walk_share)s::float8,
                     %(first_rows)s::integer)
         WITH ORDINALITY AS m (id, group_id, posted_or_seen, ord)
),
firsts AS (
    SELECT DISTINCT ON (m.group_id) m.group_id, m.id, m.posted_or_seen, m.ord
    FROM m
    ORDER BY m.group_id, m.ord
),
page AS (SELECT * FROM firsts ORDER BY firsts.ord OFFSET %(offset)s LIMIT %(limit)s)
SELECT page.ord, page.id AS lead_id, page.posted_or_seen AS lead_posted, j.id, j.group_id,
       j.job_url, j.title, j.company, j.city, j.region, j.country, j.is_remote, j.location_raw,
       j.date_posted, j.site, j.job_type, j.salary_min, j.salary_max, j.salary_currency,
       j.salary_interval, j.posted_or_seen, j.first_seen_at, j.last_seen_at, j.seen_count
FROM page
JOIN jobs_full j ON j.group_id = page.group_id
ORDER BY page.ord, j.posted_or_seen DESC, j.id DESC;

-- name: search_group_postings
-- Every posting of one job (group), with its sightings, newest first.
SELECT j.id, j.group_id, j.job_url, j.title, j.company, j.city, j.region, j.country,
       j.is_remote, j.location_raw, j.date_posted, j.site, j.job_type, j.salary_min,
       j.salary_max, j.salary_currency, j.salary_interval, j.posted_or_seen, j.first_seen_at,
       j.last_seen_at, j.seen_count
FROM jobs_full j
WHERE j.group_id = %(group_id)s
ORDER BY j.posted_or_seen DESC, j.id DESC;

-- name: search_lexeme_shares_refresh
-- Copy ANALYZE's lexeme statistics for the search if ANALYZE ran since (sql/0017).
SELECT search_lexeme_shares_refresh();
