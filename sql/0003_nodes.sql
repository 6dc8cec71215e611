-- Supervisor and workers: kill requests, per-site cooldowns, and the NOTIFY that wakes the
-- supervisor (and a stopping worker) within a second of a change made from any shell.

ALTER TABLE nodes
    ADD COLUMN kill_requested boolean NOT NULL DEFAULT false,   -- SIGKILL, no grace
    ADD COLUMN cooldowns      jsonb NOT NULL DEFAULT '{}',      -- site -> seconds left, by the worker
    ADD COLUMN current_site   text;

CREATE INDEX node_logs_node_null_idx ON node_logs (id) WHERE node_id IS NULL;

-- Payload "id:desired:stop_requested:kill_requested" (tiny, far below NOTIFY's 8000-byte cap).
-- Only changes a supervisor or worker must act on are announced, not the heartbeat/metric updates
-- that happen every few seconds.
CREATE FUNCTION jobfleet_nodes_notify() RETURNS trigger LANGUAGE plpgsql AS $$
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
           AND NEW.host_id IS NOT DISTINCT FROM OLD.host_id THEN
            RETURN NULL;
        END IF;
        payload := NEW.id || ':' || NEW.desired || ':' || NEW.status;
    END IF;
    PERFORM pg_notify('jobfleet_nodes', payload);
    -- The worker of this node listens on its own channel so a stop does not wake a hundred others.
    IF TG_OP = 'DELETE' OR NEW.stop_requested OR NEW.kill_requested OR NEW.desired = 'stopped' THEN
        PERFORM pg_notify('jobfleet_node_' || r.id, 'stop');
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER nodes_notify
    AFTER INSERT OR UPDATE OR DELETE ON nodes
    FOR EACH ROW EXECUTE FUNCTION jobfleet_nodes_notify();
