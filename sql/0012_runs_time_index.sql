-- Scrapes of every node by time, newest first (`jobfleet runs` without a node, and the
-- retention that deletes the oldest). The per-node listing uses scrape_runs_node_idx
-- (node_id, started_at DESC); this one serves the listing across nodes, which would otherwise
-- sort the whole table.
CREATE INDEX scrape_runs_started_idx ON scrape_runs (started_at DESC, id DESC);
