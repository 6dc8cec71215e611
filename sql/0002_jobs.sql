-- jobfleet schema, version 2: what the store and the job search need beyond 0001.
-- Works on PostgreSQL 15 and later.

-- Batches already committed, by the id of their spool file, so that replaying a spool file whose
-- commit went through (a crash between COMMIT and unlink) changes nothing. Pruned after 30 days.
CREATE TABLE ingested_batches (
    batch_id     uuid PRIMARY KEY,
    committed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ingested_batches_committed_idx ON ingested_batches (committed_at);

-- Newest-first search walks an index in (posted_or_seen DESC, id DESC) order and stops after a
-- page of matches; with a country or city filter it walks that country's or city's slice.
-- City filters are case-insensitive ("austin" finds "Austin").
CREATE INDEX jobs_country_posted_idx ON jobs (country, posted_or_seen DESC, id DESC);
CREATE INDEX jobs_city_posted_idx ON jobs (lower(city), posted_or_seen DESC, id DESC);

-- The search picks its strategy from the planner's estimate of how many postings a term
-- matches. The default statistics keep the frequencies of ~1,000 lexemes; 10,000 makes the
-- estimate good for the medium-frequency terms where the choice matters.
ALTER TABLE jobs ALTER COLUMN search_vector SET STATISTICS 1000;
