-- jobfleet schema, version 2: what the store and the job search need beyond 0001.
-- Works on PostgreSQL 15 and later.

-- Batches already committed, by the id of their spool file, so that replaying a spool file whose
-- commit went through (a crash between COMMIT and unlink) changes nothing. Pruned after 30 days.
CREATE TABLE ingested_batches (
    batch_id     uuid PRIMARY KEY,
    committed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ingested_batches_committed_idx ON ingested_batches (committed_at);

-- City filters are case-insensitive ("austin" finds "Austin").
CREATE INDEX jobs_city_lower_idx ON jobs (lower(city));
