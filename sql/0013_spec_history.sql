-- Spec history: one row per version of a node's spec (the first at deploy, then every edit or
-- `jobfleet apply` that changed it). Specs hold secrets only as ${VAR} references (NodeSpec
-- refuses literal passwords), so neither column ever holds a resolved secret. Rows go with
-- their node, as its logs do.
CREATE TABLE node_spec_history (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    node_id     bigint NOT NULL REFERENCES nodes (id) ON DELETE CASCADE,
    changed_at  timestamptz NOT NULL DEFAULT now(),
    changed_by  text NOT NULL CHECK (length(changed_by) BETWEEN 1 AND 300),   -- user@host
    action      text NOT NULL CHECK (action IN ('deploy', 'edit', 'apply')),
    old_spec    jsonb,                       -- null for the first version
    new_spec    jsonb NOT NULL,
    changes     jsonb NOT NULL DEFAULT '[]'  -- [{field, old, new}], in NodeSpec's field order
);
CREATE INDEX node_spec_history_node_idx ON node_spec_history (node_id, id DESC);
