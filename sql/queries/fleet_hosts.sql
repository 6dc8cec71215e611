-- Queries of engine/fleet/hosts.py: which hosts have a live supervisor, for `jobfleet hosts`,
-- the presence column of `jobfleet nodes`, the warning after a request and the TUI.
--
-- A supervisor holds the session advisory lock (LOCK_CLASS, HOST_LOCK_BASE + host id) as long as
-- it runs, and renews hosts.heartbeat_at (its lease). pg_locks lists the locks of every database
-- on the server, so the lock is looked up in this database only (several jobfleet databases may
-- share one server, and their host ids overlap).

-- name: list_hosts
SELECT h.id, h.hostname AS name, h.pid AS supervisor_pid, h.started_at, h.heartbeat_at,
       extract(epoch FROM now() - h.heartbeat_at)::double precision AS lease_age_s,
       h.cpus, h.mem_total, h.mem_available, h.version,
       EXISTS (SELECT 1 FROM pg_locks l
               WHERE l.locktype = 'advisory'
                 AND l.database = (SELECT d.oid FROM pg_database d
                                   WHERE d.datname = current_database())
                 AND l.classid = %(lock_class)s::oid
                 AND l.objid = (%(lock_base)s + h.id)::oid AND l.objsubid = 2
                 AND l.granted) AS locked,
       (SELECT coalesce(jsonb_object_agg(s.status, s.n), '{}'::jsonb)
          FROM (SELECT n.status::text AS status, count(*) AS n FROM nodes n
                WHERE n.host_id = h.id GROUP BY n.status) s) AS nodes_by_status,
       (SELECT count(*) FROM nodes n WHERE n.host_id = h.id) AS nodes,
       (SELECT count(*) FROM nodes n WHERE n.host_id = h.id AND n.pinned) AS pinned_nodes
FROM hosts h
ORDER BY h.hostname;
