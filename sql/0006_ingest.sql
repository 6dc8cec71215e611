-- Cheaper writes of new postings (measured with bench/bench_ingest.py). No table rewrite: storage
-- and compression settings apply to values written from now on.

-- (country, region, city) served no query that jobs_country_posted_idx (country first) and
-- jobs_city_posted_idx (lower(city) first) do not serve better; every new posting paid for it.
DROP INDEX IF EXISTS jobs_location_idx;

-- A tsvector with positions (~4 KB for a 3 KB description) does not shrink by the 25 % pglz
-- requires, so the attempt was pure CPU on every insert: store it uncompressed.
ALTER TABLE jobs ALTER COLUMN search_vector SET STORAGE EXTERNAL;

-- lz4 compresses descriptions several times faster than pglz (slightly larger). Servers built
-- without lz4 keep pglz.
DO $$
BEGIN
    ALTER TABLE jobs ALTER COLUMN description SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
    RAISE NOTICE 'this server has no lz4; descriptions stay compressed with pglz';
END;
$$;
