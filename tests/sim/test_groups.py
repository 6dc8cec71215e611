"""The simulated boards' cross-posts, scraped by the real jobspy and stored by the store, end up
grouped at ingest: one group per job, whichever way each board spelt it."""

from __future__ import annotations

from datetime import UTC, datetime

from engine.db.handle import Database
from engine.jobs.ingest import Store
from engine.jobs.record import clean_record
from engine.settings import Settings
from engine.sim import SimBoards
from tests.sim.conftest import scrape


def test_cross_posts_from_the_simulated_boards_share_a_group(
    sim: SimBoards, db: Database, settings: Settings
) -> None:
    df = scrape(
        sim,
        site_name=["linkedin", "indeed"],
        search_term="software engineer",
        location="San Francisco, CA",
        country_indeed="usa",
        results_wanted=40,
    )
    today = datetime.now(UTC).date()
    store = Store(db, settings.spool_dir)
    for site in ("linkedin", "indeed"):
        rows = df[df.site == site].to_dict("records")
        records = [clean_record(row, today=today, country_hint="US") for row in rows]
        store.save_batch([r for r in records if r is not None], site=site)
    with db.connection() as conn:
        groups = {
            r["job_url"]: r["group_id"]
            for r in conn.execute("SELECT job_url, group_id FROM jobs").fetchall()
        }
    # The same corpus job behind a LinkedIn URL and an Indeed URL: one group.
    linkedin = sim.linkedin.results(
        {"keywords": "software engineer", "location": "San Francisco, CA"}
    )
    indeed = sim.indeed.results("US", what="software engineer", where="San Francisco, CA")
    li_url = {j.uid: f"https://www.linkedin.com/jobs/view/{j.linkedin_id}" for j in linkedin}
    in_url = {j.uid: f"https://www.indeed.com/viewjob?jk={j.indeed_key}" for j in indeed}
    both = [
        uid for uid in li_url if uid in in_url and li_url[uid] in groups and in_url[uid] in groups
    ]
    assert len(both) >= 5
    apart = [uid for uid in both if groups[li_url[uid]] != groups[in_url[uid]]]
    assert apart == []
    assert len(set(groups.values())) <= len(groups) - len(both)
