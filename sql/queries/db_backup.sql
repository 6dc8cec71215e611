-- Queries of engine/db/backup.py: what the server is, and whether a restore target holds data.

-- name: server_version_num
SELECT current_setting('server_version_num')::int AS version_num,
       current_setting('server_version') AS version;

-- name: user_tables
-- Ordinary and partitioned tables outside the system schemas (the restore target check).
SELECT n.nspname AS schema, c.relname AS name
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\_%'
ORDER BY 1, 2;
