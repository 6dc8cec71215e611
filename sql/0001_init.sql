-- jobfleet schema, version 1. Works on PostgreSQL 15 and later (the external server here is 15,
-- the embedded one 18), so nothing newer than 15 is used.

CREATE TYPE node_status AS ENUM (
    'stopped', 'starting', 'running', 'stopping', 'exited', 'backoff', 'fatal', 'lost'
);

-- One row per machine running a supervisor. The supervisor holds the advisory lock
-- (7411, id) on a dedicated connection while it lives and renews heartbeat_at (its lease).
CREATE TABLE hosts (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    hostname        text NOT NULL UNIQUE,
    pid             integer,
    started_at      timestamptz,
    heartbeat_at    timestamptz,
    cpus            integer,
    mem_total       bigint,
    mem_available   bigint,
    version         text,
    created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE nodes (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name             text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 100),
    spec             jsonb NOT NULL,                  -- validated NodeSpec, secrets as ${ENV} refs
    desired          text NOT NULL DEFAULT 'stopped' CHECK (desired IN ('running', 'stopped')),
    status           node_status NOT NULL DEFAULT 'stopped',
    host_id          bigint REFERENCES hosts (id) ON DELETE SET NULL,  -- null = any host
    pid              integer,
    proc_started_at  double precision,                -- process create time (epoch s): pid identity
    stop_requested   boolean NOT NULL DEFAULT false,
    heartbeat_at     timestamptz,
    started_at       timestamptz,
    stopped_at       timestamptz,
    status_changed_at timestamptz NOT NULL DEFAULT now(),
    restarts         integer NOT NULL DEFAULT 0,
    fast_crashes     integer NOT NULL DEFAULT 0,      -- crashes in a row sooner than start_secs
    next_start_at    timestamptz,                     -- backoff: not before this time
    last_exit        integer,                         -- exit code (negative = signal)
    last_error       text,
    -- live metrics written by the worker
    cycle            integer NOT NULL DEFAULT 0,
    jobs_found       bigint NOT NULL DEFAULT 0,
    jobs_new         bigint NOT NULL DEFAULT 0,
    locations_done   integer NOT NULL DEFAULT 0,
    locations_total  integer NOT NULL DEFAULT 0,
    current_location text,
    rss_bytes        bigint,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX nodes_host_status_idx ON nodes (host_id, status);

-- Structured events of workers (node_id set) and supervisors (node_id null).
-- New rows are announced with NOTIFY node_logs, payload "node_id:id" (never the row).
CREATE TABLE node_logs (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    node_id   bigint REFERENCES nodes (id) ON DELETE CASCADE,
    host_id   bigint REFERENCES hosts (id) ON DELETE SET NULL,
    ts        timestamptz NOT NULL DEFAULT clock_timestamp(),
    level     text NOT NULL CHECK (level IN ('debug', 'info', 'warning', 'error')),
    event     text NOT NULL,
    message   text NOT NULL DEFAULT '',
    fields    jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX node_logs_node_id_idx ON node_logs (node_id, id);
CREATE INDEX node_logs_ts_idx ON node_logs (ts);

-- One row per search (node × site × location).
CREATE TABLE scrape_runs (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    node_id      bigint REFERENCES nodes (id) ON DELETE SET NULL,
    site         text NOT NULL,
    location     text,
    search_term  text,
    started_at   timestamptz NOT NULL,
    finished_at  timestamptz NOT NULL DEFAULT now(),
    found        integer NOT NULL DEFAULT 0,
    new          integer NOT NULL DEFAULT 0,
    outcome      text NOT NULL CHECK (outcome IN ('ok', 'blocked', 'timeout', 'error')),
    error        text,
    proxy        text                                 -- redacted
);
CREATE INDEX scrape_runs_node_idx ON scrape_runs (node_id, started_at DESC);

-- Every posting once, for every country and site. Rows are written once and never updated:
-- sightings go to job_sightings so the heavy row and its tsvector are never rewritten.
CREATE TABLE jobs (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job_url          text NOT NULL UNIQUE,            -- canonical URL: the identity
    site             text NOT NULL,
    site_job_id      text,
    title            text,
    company          text,
    company_url      text,
    description      text,
    location_raw     text,
    city             text,
    region           text,
    country          text,                            -- ISO 3166-1 alpha-2
    is_remote        boolean,
    date_posted      date,
    job_type         text,
    salary_min       double precision,
    salary_max       double precision,
    salary_currency  text,
    salary_interval  text,
    emails           text[],
    extra            jsonb NOT NULL DEFAULT '{}',
    node_id          bigint,                          -- provenance; no FK: nodes come and go
    search_term      text,
    first_seen_at    timestamptz NOT NULL DEFAULT now(),
    -- newest-first ordering key: the posting date when known, else when we first saw it
    posted_or_seen   date GENERATED ALWAYS AS (coalesce(date_posted, (first_seen_at AT TIME ZONE 'UTC')::date)) STORED,
    search_vector    tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', coalesce(title, '')), 'A') ||
        setweight(to_tsvector('english', coalesce(company, '')), 'B') ||
        setweight(to_tsvector('english', coalesce(description, '')), 'C')
    ) STORED
);
CREATE INDEX jobs_location_idx ON jobs (country, region, city);
CREATE INDEX jobs_posted_idx ON jobs (posted_or_seen DESC, id DESC);
CREATE INDEX jobs_first_seen_idx ON jobs (first_seen_at DESC);
CREATE INDEX jobs_site_idx ON jobs (site, posted_or_seen DESC);
CREATE INDEX jobs_search_idx ON jobs USING gin (search_vector);

CREATE TABLE job_sightings (
    job_id        bigint PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
    last_seen_at  timestamptz NOT NULL DEFAULT now(),
    seen_count    integer NOT NULL DEFAULT 1,
    last_node_id  bigint
);
