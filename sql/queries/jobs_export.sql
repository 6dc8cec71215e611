-- Queries of engine/jobs/export.py: every posting the search filter (jobs_matching) lets through.

-- name: jobs_export_count
SELECT count(*) AS n
FROM jobs_matching(websearch_to_tsquery('english', %(text)s::text), %(country)s::text,
                   %(region)s::text, %(city)s::text, %(site)s::text, %(remote)s::boolean,
                   %(days)s::integer) j;

-- name: jobs_export
-- In id order (the order they were stored), which streams straight off the primary key. The
-- sighting columns are jobs_full's (its join cannot follow the filter function: see 0007). group_id:
-- the id of the posting that represents the job (postings of one job share it).
SELECT j.id, j.group_id, j.job_url, j.site, j.site_job_id, j.title, j.company, j.company_url, j.description,
       j.location_raw, j.city, j.region, j.country, j.is_remote, j.date_posted, j.job_type,
       j.salary_min, j.salary_max, j.salary_currency, j.salary_interval, j.emails, j.extra,
       j.node_id, j.search_term, j.first_seen_at, j.posted_or_seen,
       coalesce(s.last_seen_at, j.first_seen_at) AS last_seen_at,
       coalesce(s.seen_count, 1) AS seen_count
FROM jobs_matching(websearch_to_tsquery('english', %(text)s::text), %(country)s::text,
                   %(region)s::text, %(city)s::text, %(site)s::text, %(remote)s::boolean,
                   %(days)s::integer) j
LEFT JOIN job_sightings s ON s.job_id = j.id
ORDER BY j.id;
