-- Postings of one job share a group: group_id is the id of the group's representative posting.
-- A posting nobody has matched yet is its own group, so the column is never NULL: a trigger fills
-- it with the new row's id when the writer leaves it out (the store's COPY path does, until it
-- assigns groups itself), and existing rows start as groups of one.
ALTER TABLE jobs ADD COLUMN group_id bigint;
UPDATE jobs SET group_id = id;
ALTER TABLE jobs ALTER COLUMN group_id SET NOT NULL;
CREATE INDEX jobs_group_idx ON jobs (group_id);

CREATE FUNCTION jobs_default_group() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.group_id IS NULL THEN
        NEW.group_id := NEW.id;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER jobs_default_group BEFORE INSERT ON jobs
    FOR EACH ROW EXECUTE FUNCTION jobs_default_group();

-- jobs_full expanded j.* when it was made; make it again so that it carries group_id.
DROP VIEW jobs_full;
CREATE VIEW jobs_full AS
SELECT j.*,
       coalesce(s.last_seen_at, j.first_seen_at) AS last_seen_at,
       coalesce(s.seen_count, 1) AS seen_count
FROM jobs j
LEFT JOIN job_sightings s ON s.job_id = j.id;
