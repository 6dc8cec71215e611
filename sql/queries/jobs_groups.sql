-- Queries of engine/jobs/groups.py: postings of one job grouped at ingest, and `jobs regroup`.

-- name: groups_writing
-- Taken by every grouped write before it looks for candidates; `jobs regroup` takes EXCLUSIVE,
-- which waits for the writes under way and holds new ones until it commits.
LOCK TABLE job_sketches IN ROW EXCLUSIVE MODE;

-- name: groups_try_lock
-- A transaction lock per employer-in-a-place (and per apply id) of the batch, without
-- waiting: returns the keys another transaction holds (their postings are rechecked after the
-- commit).
SELECT k.key
FROM (SELECT key FROM unnest(%(keys)s::text::int[]) AS u (key) ORDER BY key) AS k
WHERE NOT pg_try_advisory_xact_lock(%(class)s, k.key);

-- name: groups_lock
-- The recheck waits for the keys it found busy: then their holders have committed.
SELECT count(pg_advisory_xact_lock(%(class)s, k.key)) AS n
FROM (SELECT key FROM unnest(%(keys)s::text::int[]) AS u (key) ORDER BY key) AS k;

-- name: groups_current
SELECT id, group_id FROM jobs WHERE id = ANY(%(ids)s::bigint[]);

-- name: groups_posted
-- When the representatives of groups a recheck joins were posted: the earliest stays.
SELECT job_id, posted FROM job_sketches WHERE job_id = ANY(%(ids)s::bigint[]);

-- name: groups_allocate_ids
-- The ids of the new postings, before they are written with their group_id.
SELECT nextval(pg_get_serial_sequence('jobs', 'id')) AS id
FROM generate_series(1, %(n)s);

-- name: groups_no_jit
-- The candidate query's estimates (a LIMIT per key, thousands of keys) pass jit_above_cost, and
-- compiling it took 15 of its 22 ms a batch; it runs in milliseconds without.
SET LOCAL jit = off;

-- name: groups_candidates
-- Stored postings a batch might repeat, through narrow indexed keys, each capped at the newest
-- %(cap)s within %(window)s days of the new posting's date: the same role and employer
-- (near-duplicates, same body), agency copies of the same role (stored agency copies for every
-- new posting; any employer for a new agency copy), the same exact body, board id or apply id.
-- Only job_sketches and the jobs row's group are read (by primary key): never an old
-- description, never a scan. The keys come as array literals (text) and the body hashes as one
-- bytea of 20-byte hashes: psycopg's list adapter cost ~1 µs a value, the literals ~0.1 µs.
WITH found AS (
    SELECT c.job_id
    FROM unnest(%(block_role)s::text::bigint[], %(block_company)s::text::bigint[],
                %(block_posted)s::text::date[]) AS k (role_key, company_key, posted)
    CROSS JOIN LATERAL (
        SELECT s.job_id FROM job_sketches s
        WHERE s.role_key = k.role_key AND s.company_key = k.company_key
          AND s.posted BETWEEN k.posted - %(window)s::int AND k.posted + %(window)s::int
        ORDER BY s.posted DESC LIMIT %(cap)s
    ) c
    UNION ALL
    SELECT c.job_id
    FROM unnest(%(agency_role)s::text::bigint[], %(agency_posted)s::text::date[])
         AS k (role_key, posted)
    CROSS JOIN LATERAL (
        SELECT s.job_id FROM job_sketches s
        WHERE s.role_key = k.role_key
          AND s.posted BETWEEN k.posted - %(window)s::int AND k.posted + %(window)s::int
          AND (s.agency OR s.copy_hint)
        ORDER BY s.posted DESC LIMIT %(cap)s
    ) c
    UNION ALL
    SELECT c.job_id
    FROM unnest(%(any_role)s::text::bigint[], %(any_posted)s::text::date[])
         AS k (role_key, posted)
    CROSS JOIN LATERAL (
        SELECT s.job_id FROM job_sketches s
        WHERE s.role_key = k.role_key
          AND s.posted BETWEEN k.posted - %(window)s::int AND k.posted + %(window)s::int
        ORDER BY s.posted DESC LIMIT %(cap)s
    ) c
    UNION ALL
    SELECT c.job_id
    FROM generate_series(0, length(%(bodies)s::bytea) / 20 - 1) AS i
    CROSS JOIN LATERAL (
        SELECT s.job_id FROM job_sketches s
        WHERE s.body_hash = substring(%(bodies)s::bytea FROM 20 * i + 1 FOR 20)
        ORDER BY s.posted DESC LIMIT %(cap)s
    ) c
    UNION ALL
    SELECT c.job_id
    FROM unnest(%(boards)s::text::bigint[]) AS k (board_key)
    CROSS JOIN LATERAL (
        SELECT s.job_id FROM job_sketches s WHERE s.board_key = k.board_key
        ORDER BY s.posted DESC LIMIT %(cap)s
    ) c
    UNION ALL
    SELECT s.job_id FROM job_sketches s
    WHERE cardinality(%(apply)s::text[]) > 0 AND s.apply_ids && %(apply)s::text[]
)
-- The ids as an array, unnested: the planner then reads each row by primary key (joined to
-- `found` directly, it estimated 200 rows and merge-joined a scan of the whole table).
SELECT s.job_id, s.posted, s.title, s.company, s.place, s.country, s.agency, s.body_hash,
       s.sketch, s.apply_ids, s.pay_low, s.pay_high, s.pay_currency, j.group_id, j.site,
       j.site_job_id
FROM unnest(ARRAY(SELECT DISTINCT job_id FROM found)) AS f (job_id)
JOIN job_sketches s ON s.job_id = f.job_id
JOIN jobs j ON j.id = f.job_id;

-- name: groups_descriptions
-- The rare case: two employers' near-identical bodies, and only the stored one's words can say
-- it is an agency's copy ("our client Acme").
SELECT id, description FROM jobs WHERE id = ANY(%(ids)s::bigint[]);

-- name: groups_relabel
-- A new posting joined two stored groups: the later group's members take the earlier's id.
UPDATE jobs j SET group_id = r.new_id
FROM unnest(%(old)s::bigint[], %(new)s::bigint[]) AS r (old_id, new_id)
WHERE j.group_id = r.old_id AND j.group_id <> r.new_id;

-- name: groups_sketch_copy
COPY job_sketches (
    job_id, posted, role_key, company_key, title, company, place, country, agency, copy_hint,
    body_hash, sketch, board_key, apply_ids, pay_low, pay_high, pay_currency
) FROM STDIN (FORMAT BINARY)

-- name: jobs_copy_grouped
-- jobs_copy with the ids picked beforehand and the groups: jobs_input's columns, then id, group_id.
COPY jobs (
    job_url, site, site_job_id, title, company, company_url, description, location_raw, city,
    region, country, is_remote, date_posted, job_type, salary_min, salary_max, salary_currency,
    salary_interval, emails, extra, node_id, search_term, id, group_id
) FROM STDIN (FORMAT BINARY)

-- name: jobs_stage_grouped_create
CREATE TEMP TABLE IF NOT EXISTS jobs_stage_grouped (LIKE jobs_input, id bigint, group_id bigint)
    ON COMMIT DELETE ROWS;

-- name: jobs_stage_grouped_copy
COPY jobs_stage_grouped FROM STDIN (FORMAT BINARY)

-- name: jobs_insert_staged_grouped
-- jobs_insert_staged with ids and groups; returns the postings written.
INSERT INTO jobs (
    job_url, site, site_job_id, title, company, company_url, description, location_raw, city,
    region, country, is_remote, date_posted, job_type, salary_min, salary_max, salary_currency,
    salary_interval, emails, extra, node_id, search_term, id, group_id
)
SELECT * FROM jobs_stage_grouped s
WHERE NOT EXISTS (SELECT 1 FROM jobs j WHERE j.job_url = s.job_url)
ON CONFLICT (job_url) DO NOTHING
RETURNING id, job_url;

-- name: groups_adopt_raced
-- Postings another worker stored first were not written, under the ids this batch had picked: a
-- new posting grouped under such an id takes the group of the stored copy instead.
UPDATE jobs j SET group_id = o.group_id
FROM (SELECT r.lost_id, s.group_id
      FROM unnest(%(ids)s::bigint[], %(urls)s::text[]) AS r (lost_id, job_url)
      JOIN jobs s ON s.job_url = r.job_url) o
WHERE j.group_id = o.lost_id;

-- name: group_counts
-- `jobs stats`: postings, and jobs (groups of postings of one job).
SELECT count(*) AS postings, count(DISTINCT group_id) AS jobs FROM jobs;

-- name: regroup_lock
-- `jobs regroup` rebuilds every sketch and group: grouped writes wait until it commits.
LOCK TABLE job_sketches IN EXCLUSIVE MODE;

-- name: regroup_clear
TRUNCATE job_sketches;

-- name: regroup_remember
-- The groups before, to count the postings whose group changed.
CREATE TEMP TABLE regroup_before ON COMMIT DROP AS SELECT id, group_id FROM jobs;

-- name: regroup_changed
SELECT count(*) AS n
FROM jobs j JOIN regroup_before b ON b.id = j.id
WHERE b.group_id <> j.group_id;

-- name: regroup_postings
-- Every posting in the order groups form (date posted, else first seen; then id), with what
-- fingerprinting reads.
SELECT id, group_id, posted_or_seen, job_url, site, site_job_id, title, company, description,
       city, region, country, is_remote, date_posted, salary_min, salary_max, salary_currency,
       salary_interval, extra
FROM jobs
ORDER BY posted_or_seen, id;

-- name: regroup_set
-- Only the rows whose group changes are rewritten (an UPDATE recomputes the full-text vector).
UPDATE jobs j SET group_id = t.group_id
FROM unnest(%(ids)s::bigint[], %(groups)s::bigint[]) AS t (id, group_id)
WHERE j.id = t.id AND j.group_id <> t.group_id;
