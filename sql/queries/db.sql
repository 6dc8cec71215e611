-- name: table_row_counts
-- Estimated counts are instant on big tables; exact counts for the small ones are cheap enough.
SELECT c.relname AS table_name,
       CASE WHEN c.reltuples < 100000 THEN NULL ELSE c.reltuples::bigint END AS estimate
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema()
  AND c.relkind = 'r'
  AND c.relname = ANY(%(tables)s)
ORDER BY c.relname;
