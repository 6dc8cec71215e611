-- Queries of engine/fleet/events.py: node_logs writes, tails, retention.

-- name: insert_node_logs
INSERT INTO node_logs (node_id, host_id, ts, level, event, message, fields)
SELECT n, %(host_id)s, t, l, e, m, f::jsonb
FROM unnest(%(node_ids)s::bigint[], %(ts)s::timestamptz[], %(levels)s::text[], %(events)s::text[],
            %(messages)s::text[], %(fields)s::text[]) AS u(n, t, l, e, m, f)
-- A log row for a node deleted meanwhile would violate the foreign key and lose the batch.
WHERE n IS NULL OR EXISTS (SELECT 1 FROM nodes WHERE nodes.id = n)
RETURNING id, node_id;

-- name: fetch_logs_tail
SELECT l.id, l.node_id, n.name AS node_name, l.host_id, l.ts, l.level, l.event, l.message, l.fields
FROM node_logs l
LEFT JOIN nodes n ON n.id = l.node_id
WHERE (%(node_id)s::bigint IS NULL OR l.node_id = %(node_id)s)
  AND (NOT %(supervisor_only)s OR l.node_id IS NULL)
  AND (%(levels)s::text[] IS NULL OR l.level = ANY(%(levels)s))
  AND (%(text)s::text IS NULL OR l.message ILIKE %(text)s OR l.event ILIKE %(text)s
       OR l.fields::text ILIKE %(text)s)
  AND (%(since_s)s::float8 IS NULL OR l.ts >= now() - make_interval(secs => %(since_s)s))
ORDER BY l.id DESC
LIMIT %(limit)s;

-- name: fetch_logs_after
SELECT l.id, l.node_id, n.name AS node_name, l.host_id, l.ts, l.level, l.event, l.message, l.fields
FROM node_logs l
LEFT JOIN nodes n ON n.id = l.node_id
WHERE l.id > %(after_id)s
  AND (%(node_id)s::bigint IS NULL OR l.node_id = %(node_id)s)
  AND (NOT %(supervisor_only)s OR l.node_id IS NULL)
  AND (%(levels)s::text[] IS NULL OR l.level = ANY(%(levels)s))
  AND (%(text)s::text IS NULL OR l.message ILIKE %(text)s OR l.event ILIKE %(text)s
       OR l.fields::text ILIKE %(text)s)
  AND (%(since_s)s::float8 IS NULL OR l.ts >= now() - make_interval(secs => %(since_s)s))
ORDER BY l.id
LIMIT %(limit)s;

-- name: prune_logs_by_age
DELETE FROM node_logs WHERE ts < now() - make_interval(secs => %(keep_days)s * 86400);

-- name: prune_logs_per_node
-- One index probe per node: the id below which this node's rows are surplus.
DELETE FROM node_logs l
USING (
    SELECT n.id AS node_id, c.id AS cutoff
    FROM nodes n
    CROSS JOIN LATERAL (
        SELECT id FROM node_logs WHERE node_id = n.id ORDER BY id DESC OFFSET %(keep_rows)s LIMIT 1
    ) c
) surplus
WHERE l.node_id = surplus.node_id AND l.id <= surplus.cutoff;

-- name: prune_logs_supervisor
DELETE FROM node_logs
WHERE node_id IS NULL
  AND id <= (SELECT id FROM node_logs WHERE node_id IS NULL
             ORDER BY id DESC OFFSET %(keep_rows)s LIMIT 1);
