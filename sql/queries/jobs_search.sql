-- Queries of engine/jobs/search.py and engine/jobs/newest.py: one posting, totals, and the
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
-- itself (engine/jobs/newest.py) finds the same rows faster; the tests and bench/bench_search.py
-- compare the two. Filters left NULL drop out: parameters are bound as constants when the
-- statement is planned (unnamed, unprepared), so "NULL IS NULL OR ..." in jobs_matching folds away.
SELECT j.id, j.group_id, j.posted_or_seen
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

-- name: search_setup
-- Once per search: the newest and oldest posting dates (both ends of jobs_posted_idx), the
-- database's date (the --days window is counted from it) and the indexable part of the text
-- query (lexemes in quotes, operators between them; 'T' when nothing is indexable).
SELECT (SELECT posted_or_seen FROM jobs ORDER BY posted_or_seen DESC, id DESC LIMIT 1) AS newest,
       (SELECT posted_or_seen FROM jobs ORDER BY posted_or_seen, id LIMIT 1) AS oldest,
       current_date AS today,
       CASE WHEN %(text)s::text IS NULL THEN NULL
            ELSE querytree(websearch_to_tsquery('english', %(text)s::text)) END AS tree;

-- name: search_lexeme_shares
-- The share of postings holding each of the most common lexemes, from ANALYZE's statistics
-- (up to 10,000 lexemes with the statistics target of 0002); cached by the search for a while.
-- The last three numbers of most_common_elem_freqs are the minimum, maximum and NULL share.
SELECT most_common_elems::text::text[] AS lexemes, most_common_elem_freqs AS shares
FROM pg_stats
WHERE schemaname = current_schema() AND tablename = 'jobs' AND attname = 'search_vector';

-- name: search_chunk
-- Matches in one date range [lo, hi) after a cursor (day, id), newest first: the search asks for
-- the newest range first and widens only when a page is not full (engine/jobs/newest.py).
-- NULL bounds drop out when the statement is planned.
SELECT j.id, j.group_id, j.posted_or_seen
FROM jobs_matching(websearch_to_tsquery('english', %(text)s::text), %(country)s::text,
                   %(region)s::text, %(city)s::text, %(site)s::text, %(remote)s::boolean,
                   %(days)s::integer) j
WHERE (%(lo)s::date IS NULL OR j.posted_or_seen >= %(lo)s::date)
  AND (%(hi)s::date IS NULL OR j.posted_or_seen < %(hi)s::date)
  AND (%(after_day)s::date IS NULL OR j.posted_or_seen <= %(after_day)s::date)
  AND (%(after_day)s::date IS NULL OR j.posted_or_seen < %(after_day)s::date
       OR j.id < %(after_id)s::bigint)
ORDER BY j.posted_or_seen DESC, j.id DESC
LIMIT %(n)s;

-- name: search_walk
-- Dense terms: follow the newest-first index and test each posting until the page is full
-- (Postgres prices the tsvector test as nearly free and would often collect and sort instead).
SELECT set_config('enable_bitmapscan', 'off', true), set_config('enable_sort', 'off', true);

-- name: search_bitmap
-- Other terms: AND the GIN index's bitmap with the date range's, read only the range's matches.
SELECT set_config('enable_indexscan', 'off', true);

-- name: search_postings
-- The page's postings, by id, in any order (the search orders them).
SELECT j.id, j.group_id, j.job_url, j.title, j.company, j.city, j.region, j.country,
       j.is_remote, j.location_raw, j.date_posted, j.site, j.job_type, j.salary_min,
       j.salary_max, j.salary_currency, j.salary_interval, j.posted_or_seen, j.first_seen_at
FROM jobs j
WHERE j.id = ANY(%(ids)s::bigint[]);

-- name: search_group_postings
-- Every posting of the page's groups (jobs_group_idx), with its sightings, newest first.
SELECT j.id, j.group_id, j.job_url, j.title, j.company, j.city, j.region, j.country,
       j.is_remote, j.location_raw, j.date_posted, j.site, j.job_type, j.salary_min,
       j.salary_max, j.salary_currency, j.salary_interval, j.posted_or_seen, j.first_seen_at,
       j.last_seen_at, j.seen_count
FROM jobs_full j
WHERE j.group_id = ANY(%(groups)s::bigint[])
ORDER BY j.group_id, j.posted_or_seen DESC, j.id DESC;
