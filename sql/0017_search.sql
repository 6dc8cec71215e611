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

-- The share of postings holding each common lexeme, copied from ANALYZE's statistics of
-- jobs.search_vector (up to 10,000 lexemes with the statistics target of 0002). Reading them from
-- pg_stats costs ~7 ms (10,000 elements through text); a search looks up its few words here.
CREATE TABLE search_lexeme_shares (
    lexeme text PRIMARY KEY,
    share  real NOT NULL
);
-- When the copy was made (the ANALYZE it copies) and the share below which lexemes are not listed.
CREATE TABLE search_lexeme_stats (
    one         boolean PRIMARY KEY DEFAULT true CHECK (one),
    analyzed_at timestamptz,
    floor_share real NOT NULL DEFAULT 0
);

-- Copy the statistics again if jobs was analyzed since the last copy; true when it copied. Called
-- by the search now and then (engine/jobs/search.py). One refresher at a time: the others skip.
CREATE FUNCTION search_lexeme_shares_refresh() RETURNS boolean
LANGUAGE plpgsql
AS $$
DECLARE
    analyzed timestamptz;
    known timestamptz;
BEGIN
    SELECT greatest(t.last_analyze, t.last_autoanalyze) INTO analyzed
    FROM pg_stat_user_tables t WHERE t.relid = 'jobs'::regclass;
    SELECT s.analyzed_at INTO known FROM search_lexeme_stats s;
    IF FOUND AND analyzed IS NOT DISTINCT FROM known THEN
        RETURN false;
    END IF;
    IF NOT pg_try_advisory_xact_lock(7411, 17) THEN
        RETURN false;
    END IF;
    DELETE FROM search_lexeme_shares;
    INSERT INTO search_lexeme_shares (lexeme, share)
    SELECT u.lexeme, u.share
    FROM pg_stats s,
         unnest(s.most_common_elems::text::text[],
                s.most_common_elem_freqs[1:cardinality(s.most_common_elems::text::text[])])
             AS u (lexeme, share)
    WHERE s.schemaname = current_schema() AND s.tablename = 'jobs'
      AND s.attname = 'search_vector' AND u.lexeme IS NOT NULL
    ON CONFLICT DO NOTHING;
    INSERT INTO search_lexeme_stats (analyzed_at, floor_share)
    SELECT analyzed, coalesce((
        SELECT s.most_common_elem_freqs[cardinality(s.most_common_elems::text::text[]) + 1]
        FROM pg_stats s
        WHERE s.schemaname = current_schema() AND s.tablename = 'jobs'
          AND s.attname = 'search_vector'), 0)
    ON CONFLICT (one) DO UPDATE
        SET analyzed_at = excluded.analyzed_at, floor_share = excluded.floor_share;
    RETURN true;
END
$$;

-- The newest matches of a search (engine/jobs/newest.py explains why): first among the newest
-- postings where twice ``want`` matches are expected (at most ``first_rows`` of them), then, if
-- the page is not full, among all older ones, until ``want`` postings (or, with ``grouped``,
-- postings of ``want`` distinct groups) are found.
-- Returns (id, group_id, posted_or_seen) in ORDER BY posted_or_seen DESC, id DESC order: the
-- plain query's order, since the ranges are disjoint and newest first.
--
-- Terms in at least ``walk_share`` of postings (search_lexeme_shares: an AND multiplies its
-- words' shares, a phrase takes its rarest word, an OR the sum) walk the date-ordered index instead: their GIN lists are
-- long, and a page of them is found among the ~100 newest postings.
--
-- One server-side call: on a busy machine every round trip is a chance to wait for a core.
-- Each range runs as a one-shot EXECUTE whose parameters reach the planner as constants, so
-- NULL filters fold away as in the named queries.
CREATE FUNCTION jobs_newest(
    query tsquery, country text, region text, city text, site text, remote boolean,
    days integer, want integer, grouped boolean, walk_share double precision,
    first_rows integer
) RETURNS TABLE (id bigint, group_id bigint, posted_or_seen date)
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    newest date;
    oldest date;
    floor_day date;
    share double precision := 1.0;
    walk boolean;
    tree text;
    words text[];
    positives double precision[];
    lo date;
    hi date;
    after_day date;
    after_id bigint;
    n bigint;
    chunk_ids bigint[];
    chunk_groups bigint[];
    chunk_days date[];
    ids bigint[] := '{}';
    groups bigint[] := '{}';
    dates date[] := '{}';
    found_before integer;
    k double precision;
    enough boolean := false;
    old_bitmap text := current_setting('enable_bitmapscan');
    old_sort text := current_setting('enable_sort');
    old_index text := current_setting('enable_indexscan');
    chunk_sql constant text := $q$
        SELECT array_agg(c.id ORDER BY c.posted_or_seen DESC, c.id DESC),
               array_agg(c.group_id ORDER BY c.posted_or_seen DESC, c.id DESC),
               array_agg(c.posted_or_seen ORDER BY c.posted_or_seen DESC, c.id DESC)
        FROM (SELECT j.id, j.group_id, j.posted_or_seen
              FROM jobs_matching($1, $2, $3, $4, $5, $6, $7) j
              WHERE ($8::date IS NULL OR j.posted_or_seen >= $8)
                AND ($9::date IS NULL OR j.posted_or_seen < $9)
                AND ($10::date IS NULL OR j.posted_or_seen <= $10)
                AND ($10::date IS NULL OR j.posted_or_seen < $10 OR j.id < $11)
              ORDER BY j.posted_or_seen DESC, j.id DESC
              LIMIT $12) c
    $q$;
BEGIN
    SELECT p.posted_or_seen INTO newest FROM jobs p ORDER BY p.posted_or_seen DESC, p.id DESC LIMIT 1;
    IF newest IS NULL THEN
        RETURN;
    END IF;
    SELECT p.posted_or_seen INTO oldest FROM jobs p ORDER BY p.posted_or_seen, p.id LIMIT 1;
    IF days IS NOT NULL THEN
        floor_day := current_date - days;
    END IF;
    IF query IS NOT NULL AND numnode(query) = 0 THEN
        RETURN;  -- only stop words: the query matches nothing (the plain query finds nothing)
    END IF;
    IF query IS NOT NULL THEN
        tree := querytree(query);
        SELECT array_agg(replace(m[2], '''''', '''')) INTO words
        FROM regexp_matches(tree, '(!?)''((?:[^'']|'''')+)''', 'g') AS m
        WHERE m[1] = '';
        -- A lexeme missing from the statistics is rarer than any listed: counted as 0, so it
        -- neither walks nor tries a first range.
        SELECT array_agg(coalesce(l.share, 0)) INTO positives
        FROM unnest(words) w
        LEFT JOIN search_lexeme_shares l ON l.lexeme = w;
        IF coalesce(cardinality(positives), 0) > 0 THEN
            IF strpos(tree, '|') > 0 THEN
                SELECT least(1.0, sum(x)) INTO share FROM unnest(positives) x;
            ELSIF strpos(tree, '<') > 0 THEN
                -- A phrase: its words go together, the rarest word says how often.
                SELECT min(x) INTO share FROM unnest(positives) x;
            ELSE
                -- Words ANDed: as if independent (a first range too small for a correlated
                -- pair costs one more scan; one too big reads many postings).
                SELECT CASE WHEN min(x) > 0 THEN exp(sum(ln(greatest(x, 1e-12)))) ELSE 0 END INTO share
                FROM unnest(positives) x;
            END IF;
        END IF;
    END IF;
    walk := share >= walk_share;
    IF walk THEN
        PERFORM set_config('enable_bitmapscan', 'off', true), set_config('enable_sort', 'off', true);
        lo := NULL;  -- the walk stops by itself when the page is full
    ELSE
        -- The first range: the newest postings among which 2 * want matches are expected,
        -- from the date of the k-th newest posting on (an index scan of k entries).
        -- A term too rare for that skips ranges: one bitmap scan of all its matches.
        k := ceil(2.0 * want / greatest(share, 1e-9));
        IF k <= first_rows THEN
            -- Counted among the postings of the country when there is one (an index-only scan
            -- of jobs_country_posted_idx), else among all (jobs_posted_idx); other filters
            -- would cost a heap visit per posting counted.
            IF country IS NULL THEN
                SELECT p.posted_or_seen INTO lo FROM jobs p
                ORDER BY p.posted_or_seen DESC, p.id DESC OFFSET (k - 1)::bigint LIMIT 1;
            ELSE
                SELECT p.posted_or_seen INTO lo FROM jobs p WHERE p.country = jobs_newest.country
                ORDER BY p.posted_or_seen DESC, p.id DESC OFFSET (k - 1)::bigint LIMIT 1;
            END IF;
        END IF;
        PERFORM set_config('enable_indexscan', 'off', true);
    END IF;
    LOOP
        IF lo IS NOT NULL AND (lo <= oldest OR (floor_day IS NOT NULL AND lo <= floor_day)) THEN
            lo := NULL;  -- the range reaches the end of the data (or of --days)
        END IF;
        found_before := cardinality(ids);
        after_day := NULL;
        after_id := NULL;
        -- Postings: exactly the missing ones. Groups: some postings share a group, so more.
        n := CASE WHEN grouped THEN greatest(want - found_before, 1)::bigint * 2 + 10
                  ELSE greatest(want - found_before, 1) END;
        LOOP
            EXECUTE chunk_sql INTO chunk_ids, chunk_groups, chunk_days
                USING query, country, region, city, site, remote, days, lo, hi, after_day,
                      after_id, n;
            ids := ids || coalesce(chunk_ids, '{}');
            groups := groups || coalesce(chunk_groups, '{}');
            dates := dates || coalesce(chunk_days, '{}');
            IF grouped THEN
                enough := (SELECT count(DISTINCT g) FROM unnest(groups) g) >= want;
            ELSE
                enough := cardinality(ids) >= want;
            END IF;
            EXIT WHEN enough OR coalesce(cardinality(chunk_ids), 0) < n;
            after_day := chunk_days[n];
            after_id := chunk_ids[n];
            n := n * 2;
        END LOOP;
        EXIT WHEN enough OR lo IS NULL;
        hi := lo;
        lo := NULL;  -- not full: the rest at once (one more scan of the GIN index, not many)
    END LOOP;
    PERFORM set_config('enable_bitmapscan', old_bitmap, true),
            set_config('enable_sort', old_sort, true),
            set_config('enable_indexscan', old_index, true);
    RETURN QUERY SELECT * FROM unnest(ids, groups, dates);
END
$$;
