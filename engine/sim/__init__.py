"""Simulated job boards (LinkedIn, Indeed) and an IP echo behind a local TLS-terminating proxy.

Used by tests and ``jobfleet demo``: the real jobspy scrapers reach the boards only through their
public ``proxies=[...]`` and ``ca_cert=...`` arguments.
"""

from engine.sim.counters import Counters, RequestRecord
from engine.sim.faults import BOARDS, KINDS, Fault
from engine.sim.server import SimBoards

__all__ = ["BOARDS", "KINDS", "Counters", "Fault", "RequestRecord", "SimBoards"]
