-- Queries of engine/fleet/history.py: a node's spec versions (sql/0013).

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
