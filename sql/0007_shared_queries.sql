-- What several named queries share, written once: the columns the store writes, a posting with
-- its sightings, the search filter, and a node as people see it. Views and an inlinable SQL
-- function only: nothing is stored, and the planner sees through them (checked with EXPLAIN
-- against the queries they replaced: same plans, same indexes).

-- The columns of jobs the store writes, in the order of its binary COPY (INSERT_COLUMNS in
-- engine/jobs/pgvalues.py; tests/integration/test_queries.py checks they agree). The staging
-- table is made LIKE this view, and the staged rows are inserted through it (a simple view is
-- updatable, ON CONFLICT included).
CREATE VIEW jobs_input AS
SELECT job_url, site, site_job_id, title, company, company_url, description, location_raw, city,
       region, country, is_remote, date_posted, job_type, salary_min, salary_max, salary_currency,
       salary_interval, emails, extra, node_id, search_term
FROM jobs;

-- A posting with its sightings: a posting never seen again has no job_sightings row, so it was
-- last seen when first seen, once.
CREATE VIEW jobs_full AS
SELECT j.*,
       coalesce(s.last_seen_at, j.first_seen_at) AS last_seen_at,
       coalesce(s.seen_count, 1) AS seen_count
FROM jobs j
LEFT JOIN job_sightings s ON s.job_id = j.id;

-- The search filter, used by the search, its estimates, the export and its count. Every filter is
-- optional: NULL drops it. The named queries run unprepared, so their parameters reach the
-- planner as constants; this function (LANGUAGE sql, STABLE, not STRICT, one SELECT) is inlined
-- into the calling query and "NULL IS NULL OR ..." folds away, leaving each search its own plan
-- on the same indexes as before (compared with EXPLAIN). It reads jobs, not jobs_full: a LEFT JOIN
-- the planner removes still leaves jobs.id needed, which rules out index-only scans of
-- jobs_location_idx for counts and estimates. PARALLEL SAFE keeps the export's parallel plans.
-- Parameters are qualified with the function's name: in a SQL function a column of the same name
-- would win. ``query`` is a tsquery rather than the user's text so that the per-lexeme estimate
-- can pass one lexeme through the same filter.
CREATE FUNCTION jobs_matching(
    query tsquery, country text, region text, city text, site text, remote boolean, days integer
) RETURNS SETOF jobs
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
SELECT *
FROM jobs j
WHERE (jobs_matching.query IS NULL OR j.search_vector @@ jobs_matching.query)
  AND (jobs_matching.country IS NULL OR j.country = jobs_matching.country)
  AND (jobs_matching.region IS NULL OR j.region = jobs_matching.region)
  AND (jobs_matching.city IS NULL OR lower(j.city) = lower(jobs_matching.city))
  AND (jobs_matching.site IS NULL OR j.site = jobs_matching.site)
  AND (jobs_matching.remote IS NULL OR j.is_remote = jobs_matching.remote)
  AND (jobs_matching.days IS NULL OR j.posted_or_seen >= current_date - jobs_matching.days)
$$;

-- A node as the CLI and the TUI list it: with its host's name and the heartbeat's age by the
-- database clock.
CREATE VIEW nodes_listed AS
SELECT n.id, n.name, n.status::text AS status, n.desired, n.pid, n.proc_started_at,
       h.hostname AS host, n.host_id, n.pinned,
       extract(epoch FROM now() - n.heartbeat_at)::double precision AS heartbeat_age_s,
       n.heartbeat_at, n.jobs_found, n.jobs_new, n.restarts, n.fast_crashes, n.last_exit,
       n.last_error, n.cycle, n.locations_done, n.locations_total, n.current_location,
       n.current_site, n.rss_bytes, n.started_at, n.stopped_at, n.status_changed_at,
       n.stop_requested, n.kill_requested, n.next_start_at, n.cooldowns, n.spec, n.created_at,
       n.updated_at
FROM nodes n
LEFT JOIN hosts h ON h.id = n.host_id;
