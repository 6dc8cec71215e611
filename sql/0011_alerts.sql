-- Alerts: what went wrong in the fleet, who was told and when (engine/supervisor/alerts).
--
-- An alert is about a subject ('node:<id>' or 'host:<name>') and has a kind. At most one alert
-- per (kind, subject) is open at a time: the partial unique index below makes that hold however
-- many supervisors (hosts) evaluate the fleet on this database, so only one of them can open it.
-- An alert that reports a past event (a database outage, a supervisor replaced) is stored
-- resolved at once. Alerts raised by an event in node_logs record its id, and each event raises
-- at most one alert (second unique index), so re-reading events never raises one twice.
CREATE TABLE alerts (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind          text NOT NULL CHECK (kind IN (
                      'node_fatal', 'node_failing', 'no_new_postings', 'proxy_failed',
                      'host_lost', 'supervisor_replaced', 'spool_waiting',
                      'database_unreachable')),
    subject       text NOT NULL,
    node_id       bigint REFERENCES nodes (id) ON DELETE SET NULL,
    node_name     text,                               -- kept when the node is removed
    host_name     text,                               -- the host concerned (the node's host)
    reported_by   text NOT NULL,                      -- the host whose supervisor opened it
    level         text NOT NULL CHECK (level IN ('warning', 'error')),
    title         text NOT NULL,
    body          text NOT NULL,                      -- what happened and what to do next
    fields        jsonb NOT NULL DEFAULT '{}',
    source_log_id bigint,                             -- the node_logs event that raised it
    opened_at     timestamptz NOT NULL DEFAULT now(),
    resolved_at   timestamptz,
    resolution    text                                -- why it closed
);
CREATE UNIQUE INDEX alerts_one_open_idx ON alerts (kind, subject) WHERE resolved_at IS NULL;
CREATE UNIQUE INDEX alerts_source_idx ON alerts (kind, source_log_id);
CREATE INDEX alerts_opened_idx ON alerts (opened_at);
CREATE INDEX alerts_resolved_idx ON alerts (resolved_at);

-- What is to be told: a notice when an alert opens, and one when it resolves (when that is news).
CREATE TABLE alert_notices (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    alert_id    bigint NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
    event       text NOT NULL CHECK (event IN ('opened', 'resolved')),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX alert_notices_alert_idx ON alert_notices (alert_id);
CREATE INDEX alert_notices_created_idx ON alert_notices (created_at);

-- One row per apprise URL that some supervisor sends to, keyed by the URL's SHA-256 (the URL
-- itself holds tokens and is never stored). The row is locked (FOR UPDATE SKIP LOCKED) while a
-- message goes out, so two hosts configured with the same URL never both send; it carries the
-- rate-limit window, the digest's last time and the retry backoff.
CREATE TABLE alert_destinations (
    key               text PRIMARY KEY,
    label             text NOT NULL,                  -- the URL redacted
    added_at          timestamptz NOT NULL DEFAULT now(),
    window_started_at timestamptz,
    window_sent       integer NOT NULL DEFAULT 0,
    last_sent_at      timestamptz,
    last_digest_at    timestamptz,
    failures          integer NOT NULL DEFAULT 0,
    retry_at          timestamptz,
    last_error        text
);

-- Which notice went to which destination: what is not here is still to be sent.
CREATE TABLE alert_deliveries (
    destination text NOT NULL REFERENCES alert_destinations (key) ON DELETE CASCADE,
    notice_id   bigint NOT NULL REFERENCES alert_notices (id) ON DELETE CASCADE,
    sent_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (destination, notice_id)
);
CREATE INDEX alert_deliveries_notice_idx ON alert_deliveries (notice_id);

-- Per node: its new-postings count and the cycle in which that count last grew ("no new postings
-- for N cycles"). Shared by every evaluating supervisor, and kept across restarts.
CREATE TABLE alert_progress (
    node_id   bigint PRIMARY KEY REFERENCES nodes (id) ON DELETE CASCADE,
    jobs_new  bigint NOT NULL,
    cycle     integer NOT NULL
);

-- How far the evaluation has read node_logs (events that raise alerts: proxy_failed, lock_lost).
-- Each pass re-reads from the previous pass's end (prev_log_id): an event written in a
-- transaction that committed late, after a higher id, is still seen.
CREATE TABLE alert_state (
    id           boolean PRIMARY KEY DEFAULT true CHECK (id),
    last_log_id  bigint NOT NULL,
    prev_log_id  bigint NOT NULL
);
INSERT INTO alert_state (last_log_id, prev_log_id)
SELECT coalesce(max(id), 0), coalesce(max(id), 0) FROM node_logs;
