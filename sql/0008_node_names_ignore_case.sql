-- Node names are unique ignoring case: "py-us" and "PY-US" are one name to the person typing
-- `jobfleet stop py-us`, so a second one must not be deployable. The old UNIQUE (name) stays
-- (it is harmless and other code may name it); the new index makes lower(name) unique, and lets
-- the CLI find a node by name ignoring case.
--
-- A database from before this migration may already hold names that differ only in case. The
-- migration must not fail there, so every such node except the oldest (lowest id) is renamed:
-- "<name>-<id>" (shortened to fit 100 characters, and with a further "-<n>" should that name be
-- taken too). The rename is recorded in the node's log (event "renamed") and in spec.name, so
-- `jobfleet logs NODE` and the TUI say what happened.
DO $$
DECLARE
    dup record;
    candidate text;
    attempt integer;
BEGIN
    FOR dup IN
        SELECT id, name
        FROM (
            SELECT id, name, row_number() OVER (PARTITION BY lower(name) ORDER BY id) AS rank
            FROM nodes
        ) ranked
        WHERE rank > 1
        ORDER BY id
    LOOP
        attempt := 0;
        LOOP
            candidate := '-' || dup.id || CASE WHEN attempt > 0 THEN '-' || attempt ELSE '' END;
            candidate := left(dup.name, 100 - length(candidate)) || candidate;
            EXIT WHEN NOT EXISTS (SELECT 1 FROM nodes WHERE lower(name) = lower(candidate));
            attempt := attempt + 1;
        END LOOP;
        UPDATE nodes
        SET name = candidate,
            spec = CASE WHEN spec ? 'name' THEN jsonb_set(spec, '{name}', to_jsonb(candidate))
                        ELSE spec END
        WHERE id = dup.id;
        INSERT INTO node_logs (node_id, level, event, message, fields)
        VALUES (dup.id, 'warning', 'renamed',
                'node ' || dup.name || ' renamed to ' || candidate
                    || ': node names are now unique ignoring case',
                jsonb_build_object('old_name', dup.name, 'new_name', candidate));
        RAISE NOTICE 'node % renamed to %: node names are now unique ignoring case',
            dup.name, candidate;
    END LOOP;
END
$$;

CREATE UNIQUE INDEX nodes_name_lower_key ON nodes (lower(name));
