"""Grouping duplicate postings: one real job seen on several boards, reposted, or copied.

Pure: no database, no I/O. Ingest calls ``fingerprint`` for each new posting (its
``block_key``/``role_key``, ``body_hash`` and ``sketch`` are what the store keeps per row),
fetches stored candidates that share a ``role_key`` or ``body_hash`` within ``WINDOW``, and calls
``assign_groups``. ``same_job`` explains any single decision.
"""

from engine.jobs.grouping.assign import assign_groups, links
from engine.jobs.grouping.match import (
    AGENCY_COPY,
    NEAR_DUPLICATE,
    WINDOW,
    Fingerprint,
    PostingFields,
    fingerprint,
    same_job,
)
from engine.jobs.grouping.normalize import (
    normalize_body,
    normalize_company,
    normalize_place,
    normalize_title,
)
from engine.jobs.grouping.sketch import body_hash, estimated_jaccard, sketch

__all__ = [
    "AGENCY_COPY",
    "NEAR_DUPLICATE",
    "WINDOW",
    "Fingerprint",
    "PostingFields",
    "assign_groups",
    "body_hash",
    "estimated_jaccard",
    "fingerprint",
    "links",
    "normalize_body",
    "normalize_company",
    "normalize_place",
    "normalize_title",
    "same_job",
    "sketch",
]
