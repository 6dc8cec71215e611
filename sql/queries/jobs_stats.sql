-- Queries of engine/jobs/stats.py: new postings per day (UTC, by when first seen), split by
-- site or by country, over the last %(days)s days up to %(now)s (NULL: the database clock).
-- The window starts at a UTC midnight, so the first day is whole; jobs_first_seen_idx.

-- name: job_stats_per_day_site
SELECT (j.first_seen_at AT TIME ZONE 'UTC')::date AS day, j.site AS key, count(*)::bigint AS n
FROM jobs j
WHERE j.first_seen_at >= (((coalesce(%(now)s::timestamptz, now()) AT TIME ZONE 'UTC')::date
                           - (%(days)s - 1)) AT TIME ZONE 'UTC')
  AND j.first_seen_at <= coalesce(%(now)s::timestamptz, now())
GROUP BY 1, 2
ORDER BY 1, 2;

-- name: job_stats_per_day_country
SELECT (j.first_seen_at AT TIME ZONE 'UTC')::date AS day, coalesce(j.country, '') AS key,
       count(*)::bigint AS n
FROM jobs j
WHERE j.first_seen_at >= (((coalesce(%(now)s::timestamptz, now()) AT TIME ZONE 'UTC')::date
                           - (%(days)s - 1)) AT TIME ZONE 'UTC')
  AND j.first_seen_at <= coalesce(%(now)s::timestamptz, now())
GROUP BY 1, 2
ORDER BY 1, 2;

-- name: job_stats_today_utc
SELECT (coalesce(%(now)s::timestamptz, now()) AT TIME ZONE 'UTC')::date AS today;
