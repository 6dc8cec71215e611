-- Queries of engine/jobs/search.py for the jobs browser: results in another order than newest
-- first (postings, or jobs in the merged view), and how many match. The filter is
-- jobs_matching() (sql/0007_shared_queries.sql).

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

-- name: jobs_search_sorted_groups
-- The merged view (one row per job) in another order than newest first; the rows are those of
-- search_group_page. A job is led by its newest matching posting, as in the newest-first view,
-- and sorts by that posting's values with the keys of jobs_search_sorted (keep the two alike),
-- except salary: the per-year salary the row shows (engine/jobs/merged.py): the lead's, else
-- that of the newest matching posting that has one. The page (LIMIT/OFFSET) counts jobs; its lead
-- ids keep their order through the array (WITH ORDINALITY), so the sort is written once and
-- stays a top-N sort.
WITH leads AS (
    -- The window runs before DISTINCT ON, over every matching posting of the group; ordered as
    -- DISTINCT ON wants, so that one sort serves both (its frame is still the whole group).
    SELECT DISTINCT ON (j.group_id)
           j.id, j.group_id, j.posted_or_seen, j.title, j.company, j.country, j.region, j.city,
           j.is_remote, j.job_type, j.site,
           (array_agg(coalesce(j.salary_max, j.salary_min)
               * CASE j.salary_interval WHEN 'hourly' THEN 2080 WHEN 'daily' THEN 260
                                        WHEN 'weekly' THEN 52 WHEN 'monthly' THEN 12 ELSE 1 END)
               FILTER (WHERE coalesce(j.salary_max, j.salary_min) IS NOT NULL)
               OVER (PARTITION BY j.group_id ORDER BY j.posted_or_seen DESC, j.id DESC
                     ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING))[1] AS yearly_salary
    FROM jobs_matching(websearch_to_tsquery('english', %(text)s::text), %(country)s::text,
                       %(region)s::text, %(city)s::text, %(site)s::text, %(remote)s::boolean,
                       %(days)s::integer) j
    ORDER BY j.group_id, j.posted_or_seen DESC, j.id DESC
),
page AS (
    SELECT page.id, page.ord
    FROM unnest(ARRAY(
        SELECT l.id
        FROM leads l
        ORDER BY
            CASE WHEN %(sort)s = 'posted' AND NOT %(descending)s THEN l.posted_or_seen END ASC,
            CASE WHEN %(sort)s = 'title' AND NOT %(descending)s
                 THEN lower(l.title) END ASC NULLS LAST,
            CASE WHEN %(sort)s = 'title' AND %(descending)s
                 THEN lower(l.title) END DESC NULLS LAST,
            CASE WHEN %(sort)s = 'company' AND NOT %(descending)s
                 THEN lower(l.company) END ASC NULLS LAST,
            CASE WHEN %(sort)s = 'company' AND %(descending)s
                 THEN lower(l.company) END DESC NULLS LAST,
            CASE WHEN %(sort)s = 'location' AND NOT %(descending)s
                 THEN concat_ws(' ', l.country, l.region, lower(l.city)) END ASC NULLS LAST,
            CASE WHEN %(sort)s = 'location' AND %(descending)s
                 THEN concat_ws(' ', l.country, l.region, lower(l.city)) END DESC NULLS LAST,
            CASE WHEN %(sort)s = 'remote' AND NOT %(descending)s
                 THEN l.is_remote END ASC NULLS LAST,
            CASE WHEN %(sort)s = 'remote' AND %(descending)s
                 THEN l.is_remote END DESC NULLS LAST,
            CASE WHEN %(sort)s = 'type' AND NOT %(descending)s THEN l.job_type END ASC NULLS LAST,
            CASE WHEN %(sort)s = 'type' AND %(descending)s THEN l.job_type END DESC NULLS LAST,
            CASE WHEN %(sort)s = 'salary'
                 THEN l.yearly_salary * CASE WHEN %(descending)s THEN -1 ELSE 1 END
            END ASC NULLS LAST,
            CASE WHEN %(sort)s = 'site' AND NOT %(descending)s THEN l.site END ASC NULLS LAST,
            CASE WHEN %(sort)s = 'site' AND %(descending)s THEN l.site END DESC NULLS LAST,
            l.posted_or_seen DESC, l.id DESC
        LIMIT %(limit)s OFFSET %(offset)s
    )) WITH ORDINALITY AS page (id, ord)
)
SELECT page.ord, lead.id AS lead_id, lead.posted_or_seen AS lead_posted, j.id, j.group_id,
       j.job_url, j.title, j.company, j.city, j.region, j.country, j.is_remote, j.location_raw,
       j.date_posted, j.site, j.job_type, j.salary_min, j.salary_max, j.salary_currency,
       j.salary_interval, j.posted_or_seen, j.first_seen_at, j.last_seen_at, j.seen_count
FROM page
JOIN jobs lead ON lead.id = page.id
JOIN jobs_full j ON j.group_id = lead.group_id
ORDER BY page.ord, j.posted_or_seen DESC, j.id DESC;

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
