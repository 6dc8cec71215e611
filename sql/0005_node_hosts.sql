-- Several hosts on one database: a node deployed with --host runs on that host only (pinned);
-- an unpinned node (host_id null at first) is claimed by the first supervisor that starts it and
-- may be taken over by another host once its host's lease has expired.

ALTER TABLE nodes ADD COLUMN pinned boolean NOT NULL DEFAULT false;
