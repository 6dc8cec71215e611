-- Queries of engine/fleet/fleetfile.py: fleet files (export, plan, apply).

-- name: fleet_for_file
-- Every node as a fleet file holds it: spec, desired state and the host it is pinned to.
SELECT n.id, n.name, n.spec, n.desired, n.status::text AS status,
       CASE WHEN n.pinned THEN h.hostname END AS pinned_host
FROM nodes n
LEFT JOIN hosts h ON h.id = n.host_id
ORDER BY n.id;

-- name: unpin_node
-- Returns a row only when the node was pinned: its current host keeps it until it stops.
UPDATE nodes SET pinned = false, updated_at = now() WHERE id = %(id)s AND pinned RETURNING id;
