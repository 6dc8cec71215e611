-- The search's city filter takes every name the store may keep for a city: "--city München"
-- arrives as 'München|Munich' (engine/jobs/search.py resolves names in any language the
-- gazetteer knows to GeoNames' primary names, which the store keeps). A single name stays a
-- plain equality: strpos() on the constant folds when the statement is planned, so one branch
-- remains and jobs_city_posted_idx serves it as before.
CREATE OR REPLACE FUNCTION jobs_matching(
    query tsquery, country text, region text, city text, site text, remote boolean, days integer
) RETURNS SETOF jobs
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
SELECT *
FROM jobs j
WHERE (jobs_matching.query IS NULL OR j.search_vector @@ jobs_matching.query)
  AND (jobs_matching.country IS NULL OR j.country = jobs_matching.country)
  AND (jobs_matching.region IS NULL OR j.region = jobs_matching.region)
  AND (jobs_matching.city IS NULL
       OR (strpos(jobs_matching.city, '|') = 0 AND lower(j.city) = lower(jobs_matching.city))
       OR (strpos(jobs_matching.city, '|') > 0
           AND lower(j.city) = ANY (string_to_array(lower(jobs_matching.city), '|'))))
  AND (jobs_matching.site IS NULL OR j.site = jobs_matching.site)
  AND (jobs_matching.remote IS NULL OR j.is_remote = jobs_matching.remote)
  AND (jobs_matching.days IS NULL OR j.posted_or_seen >= current_date - jobs_matching.days)
$$;
