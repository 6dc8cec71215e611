-- Queries of engine/jobs/search.py for the jobs browser: results in another order than newest
-- first, and how many match. The filter is jobs_matching() (sql/0007_shared_queries.sql).

-- name: jobs_search_sorted
-- %(sort)s picks one pair of keys (the others are NULL for every row, constant once the bound
-- parameters are folded into the plan); missing values sort last either way. Salaries compare
-- per year whatever their interval (hourly × 2080, daily × 260, weekly × 52, monthly × 12).
SELECT j.id, j.job_url, j.title, j.company, j.city, j.region, j.country, j.is_remote,
       j.date_posted, j.site, j.job_type, j.salary_min, j.salary_max, j.salary_currency,
       j.salary_interval, j.posted_or_seen, j.first_seen_at, j.group_id
FROM jobs_matching(websearch_to_tsquery('english', %(text)s::text), %(country)s::text,
                   %(region)s::text, %(city)s::text, %(site)s::text, %(remote)s::boolean,
                   %(days)s::integer) j
ORDER BY
    CASE WHEN %(sort)s = 'posted' AND NOT %(descending)s THEN j.posted_or_seen END ASC,
    CASE WHEN %(sort)s = 'title' AND NOT %(descending)s THEN lower(j.title) END ASC NULLS LAST,
    CASE WHEN %(sort)s = 'title' AND %(descending)s THEN lower(j.title) END DESC NULLS LAST,
    CASE WHEN %(sort)s = 'company' AND NOT %(descending)s THEN lower(j.company) END ASC NULLS LAST,
    CASE WHEN %(sort)s = 'company' AND %(descending)s THEN lower(j.company) END DESC NULLS LAST,
    CASE WHEN %(sort)s = 'location' AND NOT %(descending)s
         THEN concat_ws(' ', j.country, j.region, lower(j.city)) END ASC NULLS LAST,
    CASE WHEN %(sort)s = 'location' AND %(descending)s
         THEN concat_ws(' ', j.country, j.region, lower(j.city)) END DESC NULLS LAST,
    CASE WHEN %(sort)s = 'remote' AND NOT %(descending)s THEN j.is_remote END ASC NULLS LAST,
    CASE WHEN %(sort)s = 'remote' AND %(descending)s THEN j.is_remote END DESC NULLS LAST,
    CASE WHEN %(sort)s = 'type' AND NOT %(descending)s THEN j.job_type END ASC NULLS LAST,
    CASE WHEN %(sort)s = 'type' AND %(descending)s THEN j.job_type END DESC NULLS LAST,
    CASE WHEN %(sort)s = 'salary' THEN
        coalesce(j.salary_max, j.salary_min)
        * CASE j.salary_interval WHEN 'hourly' THEN 2080 WHEN 'daily' THEN 260
                                 WHEN 'weekly' THEN 52 WHEN 'monthly' THEN 12 ELSE 1 END
        * CASE WHEN %(descending)s THEN -1 ELSE 1 END
    END ASC NULLS LAST,
    CASE WHEN %(sort)s = 'site' AND NOT %(descending)s THEN j.site END ASC NULLS LAST,
    CASE WHEN %(sort)s = 'site' AND %(descending)s THEN j.site END DESC NULLS LAST,
    j.posted_or_seen DESC, j.id DESC
LIMIT %(limit)s OFFSET %(offset)s;

-- name: jobs_count
-- Run under search_guard: the caller falls back to the planner's estimate when it is slow.
-- Postings, or jobs (groups of postings) when %(grouped)s.
SELECT CASE WHEN %(grouped)s THEN count(DISTINCT j.group_id) ELSE count(*) END::bigint AS n
FROM jobs_matching(websearch_to_tsquery('english', %(text)s::text), %(country)s::text,
                   %(region)s::text, %(city)s::text, %(site)s::text, %(remote)s::boolean,
                   %(days)s::integer) j;

-- name: jobs_count_estimate
-- The planner's estimate of the matching postings (the one row holds the plan as JSON).
EXPLAIN (FORMAT JSON)
SELECT 1
FROM jobs_matching(websearch_to_tsquery('english', %(text)s::text), %(country)s::text,
                   %(region)s::text, %(city)s::text, %(site)s::text, %(remote)s::boolean,
                   %(days)s::integer) j;

-- name: search_guard
-- The count gives way to an estimate when it runs long (the setting ends with the transaction).
SELECT set_config('statement_timeout', %(ms)s, true);
