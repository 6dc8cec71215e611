-- The worker's memory over time, for the node screen's RSS chart. nodes.rss_bytes holds only
-- the latest value (written by every heartbeat); the heartbeat also keeps one sample here every
-- few minutes (worker_heartbeat, sql/queries/worker_loop.sql), so a node costs at most ~300 rows
-- a day. Pruned with scrape_runs (JOBFLEET_RUNS_KEEP_DAYS).
CREATE TABLE node_rss_samples (
    node_id    bigint NOT NULL REFERENCES nodes (id) ON DELETE CASCADE,
    sampled_at timestamptz NOT NULL DEFAULT now(),
    rss_bytes  bigint NOT NULL,
    PRIMARY KEY (node_id, sampled_at)
);
-- Retention deletes by age across nodes.
CREATE INDEX node_rss_samples_time_idx ON node_rss_samples (sampled_at);
