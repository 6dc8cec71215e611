-- Schedules (active hours) and run-once.
--
-- 'scheduled': a node wanted running that is outside its active hours rests in this status,
-- with next_start_at saying when its window opens (engine/fleet/schedule.py decides; the
-- supervisor writes it). Added with ADD VALUE, which PostgreSQL 12+ allows in a transaction as
-- long as the same transaction does not use the new value: nothing below does.
ALTER TYPE node_status ADD VALUE IF NOT EXISTS 'scheduled';

-- run_once: `jobfleet run-once` asked for one cycle now, whatever the window or desired say.
-- Set on a stopped or scheduled node; the supervisor spawns a worker that runs one cycle and
-- exits; every move back to a status without a worker clears it.
ALTER TABLE nodes ADD COLUMN run_once boolean NOT NULL DEFAULT false;

-- As people see a node: with run_once (columns may only be added at the end of a view).
CREATE OR REPLACE VIEW nodes_listed AS
SELECT n.id, n.name, n.status::text AS status, n.desired, n.pid, n.proc_started_at,
       h.hostname AS host, n.host_id, n.pinned,
       extract(epoch FROM now() - n.heartbeat_at)::double precision AS heartbeat_age_s,
       n.heartbeat_at, n.jobs_found, n.jobs_new, n.restarts, n.fast_crashes, n.last_exit,
       n.last_error, n.cycle, n.locations_done, n.locations_total, n.current_location,
       n.current_site, n.rss_bytes, n.started_at, n.stopped_at, n.status_changed_at,
       n.stop_requested, n.kill_requested, n.next_start_at, n.cooldowns, n.spec, n.created_at,
       n.updated_at, n.run_once
FROM nodes n
LEFT JOIN hosts h ON h.id = n.host_id;

-- The NOTIFY trigger of sql/0003, with run_once: a run-once request wakes the supervisor, and a
-- run-once worker of a node whose desired state is "stopped" is not told to stop.
CREATE OR REPLACE FUNCTION jobfleet_nodes_notify() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    r record;
    payload text;
BEGIN
    IF TG_OP = 'DELETE' THEN
        r := OLD;
        payload := OLD.id || ':deleted';
    ELSE
        r := NEW;
        IF TG_OP = 'UPDATE'
           AND NEW.desired IS NOT DISTINCT FROM OLD.desired
           AND NEW.stop_requested IS NOT DISTINCT FROM OLD.stop_requested
           AND NEW.kill_requested IS NOT DISTINCT FROM OLD.kill_requested
           AND NEW.status IS NOT DISTINCT FROM OLD.status
           AND NEW.host_id IS NOT DISTINCT FROM OLD.host_id
           AND NEW.run_once IS NOT DISTINCT FROM OLD.run_once THEN
            RETURN NULL;
        END IF;
        payload := NEW.id || ':' || NEW.desired || ':' || NEW.status;
    END IF;
    PERFORM pg_notify('jobfleet_nodes', payload);
    IF TG_OP = 'DELETE' OR NEW.stop_requested OR NEW.kill_requested
       OR (NEW.desired = 'stopped' AND NOT NEW.run_once) THEN
        PERFORM pg_notify('jobfleet_node_' || r.id, 'stop');
    END IF;
    RETURN NULL;
END;
$$;
