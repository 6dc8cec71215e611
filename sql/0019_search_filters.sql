-- jobs_newest (sql/0017) again, with three changes found on the 1M-posting benchmark corpus:
-- * the first range is sized for the filters the counting index does not cover (region,
--   remote, site): their shares come from ANALYZE's most common values, copied with the
--   lexeme shares into search_filter_shares. Sized for the country alone, a range asked for
--   "machine learning" in Bavaria held a quarter of the matches it needed, so every such
--   search scanned twice;
-- * a city filter with several names (a city asked for in another language: 'München|Munich')
--   never walks the date index: no index gives its postings in date order before PostgreSQL
--   17, so the walk tested every posting of the period ("python" in München over 7 days:
--   100 ms, against 9 ms for the bitmaps);
-- * the newest and oldest dates are no longer looked up on every call: the emptiness check
--   was redundant (no posting, no match) and the oldest date is read only when a first range
--   is tried.

-- The share of postings with each common value of the filters (ANALYZE's most common values of
-- jobs.country, region, site and is_remote; is_remote's values are 'f' and 't').
CREATE TABLE search_filter_shares (
    filter text NOT NULL,
    value  text NOT NULL,
    share  real NOT NULL,
    PRIMARY KEY (filter, value)
);

CREATE OR REPLACE FUNCTION search_lexeme_shares_refresh() RETURNS boolean
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
    DELETE FROM search_filter_shares;
    INSERT INTO search_filter_shares (filter, value, share)
    SELECT s.attname, u.value, u.share
    FROM pg_stats s,
         unnest(s.most_common_vals::text::text[], s.most_common_freqs) AS u (value, share)
    WHERE s.schemaname = current_schema() AND s.tablename = 'jobs'
      AND s.attname IN ('country', 'region', 'site', 'is_remote') AND u.value IS NOT NULL
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

-- Copy again at the next search, filters included.
UPDATE search_lexeme_stats SET analyzed_at = NULL;

CREATE OR REPLACE FUNCTION jobs_newest(
    query tsquery, country text, region text, city text, site text, remote boolean,
    days integer, want integer, grouped boolean, walk_share double precision,
    first_rows integer
) RETURNS TABLE (id bigint, group_id bigint, posted_or_seen date)
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    oldest date;
    floor_day date;
    share double precision := 1.0;
    narrow double precision := 1.0;
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
    -- A walk reads the postings in date order, so it needs an index in that order for its
    -- filters: a list of city names ('München|Munich') has none on PostgreSQL before 17, and
    -- its walk would test every posting of the period (100 ms where the bitmaps take 9 ms).
    walk := share >= walk_share AND (city IS NULL OR strpos(city, '|') = 0);
    IF walk THEN
        PERFORM set_config('enable_bitmapscan', 'off', true), set_config('enable_sort', 'off', true);
        lo := NULL;  -- the walk stops by itself when the page is full
    ELSE
        -- The first range: the newest postings among which 2 * want matches are expected,
        -- from the date of the k-th newest posting on (an index scan of k entries).
        -- A term too rare for that skips ranges: one bitmap scan of all its matches.
        -- The filters the count below cannot see narrow the matches further: each by its share
        -- (the region's within its country). A value not among the most common is left out
        -- (a range too small costs one more scan, as before).
        IF region IS NOT NULL OR site IS NOT NULL OR remote IS NOT NULL THEN
            SELECT coalesce(exp(sum(ln(greatest(f.share, 1e-6)))), 1.0) INTO narrow
            FROM search_filter_shares f
            WHERE (f.filter, f.value) IN (('region', jobs_newest.region),
                                          ('site', jobs_newest.site),
                                          ('is_remote', left(jobs_newest.remote::text, 1)));
        END IF;
        IF region IS NOT NULL AND country IS NOT NULL THEN
            narrow := narrow / coalesce((SELECT greatest(f.share, 1e-6) FROM search_filter_shares f
                                         WHERE f.filter = 'country'
                                           AND f.value = jobs_newest.country
                                           AND EXISTS (SELECT 1 FROM search_filter_shares r
                                                       WHERE r.filter = 'region'
                                                         AND r.value = jobs_newest.region)),
                                        1.0);
        END IF;
        narrow := least(greatest(narrow, 1e-3), 1.0);
        k := ceil(2.0 * want / greatest(share * narrow, 1e-9));
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
        IF lo IS NOT NULL THEN  -- before index scans are switched off: one index probe
            SELECT p.posted_or_seen INTO oldest FROM jobs p ORDER BY p.posted_or_seen, p.id LIMIT 1;
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
