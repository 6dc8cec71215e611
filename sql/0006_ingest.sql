-- Cheaper writes of new postings (measured with bench/bench_ingest.py). No table rewrite: storage
-- and compression settings apply to values written from now on.

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

-- jobs_location_idx (country, region, city) looks redundant next to jobs_country_posted_idx but
-- stays: the bitmap search strategy ANDs it with the GIN index under a country filter ('"machine
-- learning"' in US on 200k postings: 64 ms with it, 150 ms without), and its cost per new posting
-- was too small to measure.
