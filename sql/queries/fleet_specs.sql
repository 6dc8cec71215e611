-- Queries of engine/fleet/history.py, nodes.update_spec and engine/fleet/fleetfile.py: spec
-- versions, edits and fleet files.

-- name: insert_spec_version
INSERT INTO node_spec_history (node_id, changed_by, action, old_spec, new_spec, changes)
VALUES (%(node_id)s, %(changed_by)s, %(action)s, %(old_spec)s::jsonb, %(new_spec)s::jsonb,
        %(changes)s::jsonb)
RETURNING id;

-- name: spec_history
-- A node's spec versions, newest first.
SELECT id, node_id, changed_at, changed_by, action, old_spec, new_spec, changes
FROM node_spec_history
WHERE node_id = %(node_id)s
ORDER BY id DESC
LIMIT %(limit)s;

-- name: lock_node_spec
SELECT id, name, spec, status::text AS status, desired FROM nodes WHERE id = %(id)s FOR UPDATE;

-- name: edit_node_spec
UPDATE nodes SET name = %(name)s, spec = %(spec)s, locations_total = %(locations_total)s,
       updated_at = now()
WHERE id = %(id)s
RETURNING id;

-- name: unpin_node
-- Returns a row only when the node was pinned: its current host keeps it until it stops.
UPDATE nodes SET pinned = false, updated_at = now() WHERE id = %(id)s AND pinned RETURNING id;

-- name: fleet_for_file
-- Every node as a fleet file holds it: spec, desired state and the host it is pinned to.
SELECT n.id, n.name, n.spec, n.desired, n.status::text AS status,
       CASE WHEN n.pinned THEN h.hostname END AS pinned_host
FROM nodes n
LEFT JOIN hosts h ON h.id = n.host_id
ORDER BY n.id;
