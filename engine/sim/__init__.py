"""Simulated job boards (LinkedIn, Indeed) and an IP echo behind a local TLS-terminating proxy.

Used by tests and ``jobfleet demo``. The real jobspy scrapers reach the boards only through their
public ``proxies=[...]`` and ``ca_cert=...`` arguments::

    from engine.sim import Fault, SimBoards

    with SimBoards(seed=7, auth=("user", "secret")) as sim:
        jobs = jobspy.scrape_jobs(
            site_name=["linkedin", "indeed"], search_term="nurse", location="Toronto",
            country_indeed="canada", proxies=[sim.proxy_url], ca_cert=sim.ca_path,
        )
        sim.set_fault("linkedin", Fault("429", count=3))
        sim.counters.count("linkedin")

What jobspy does under each fault is in ``engine.sim.faults``. Standalone:
``python -m engine.sim --help`` (or ``jobfleet sim``).
"""

from engine.sim.counters import Counters, RequestRecord
from engine.sim.faults import BOARDS, KINDS, Fault
from engine.sim.server import SimBoards, known_search_terms, search_terms_hint

__all__ = [
    "BOARDS",
    "KINDS",
    "Counters",
    "Fault",
    "RequestRecord",
    "SimBoards",
    "known_search_terms",
    "search_terms_hint",
]
