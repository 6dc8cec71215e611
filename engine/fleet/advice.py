"""Warnings about a spec that is valid but may not do what its author meant.

``deploy`` (CLI and TUI form) prints them and deploys anyway: a proxy that names an environment
variable this shell does not have (the worker reads it from its supervisor's environment, which
may well have it, but usually the author forgot to export it), and a location that names no place
jobfleet knows (a typo such as "Londno" searches nothing useful, and postings from it are filed
under no city).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from engine.fleet.spec import NodeSpec, proxy_env_refs
from engine.geo.parse import parse_location


def unset_env_refs(spec: NodeSpec, environ: Mapping[str, str] | None = None) -> list[str]:
    """The ``${NAME}`` references of the spec's proxies that are not set in ``environ``."""
    env = os.environ if environ is None else environ
    return [name for name in proxy_env_refs(spec) if not env.get(name)]


def unknown_locations(spec: NodeSpec) -> list[str]:
    """The spec's locations that read as no city, region or country (nor "remote")."""
    unknown = []
    for text in spec.locations:
        place = parse_location(text, spec.country)
        if not (place.city or place.region or place.country or place.remote):
            unknown.append(text)
    return unknown


def spec_warnings(spec: NodeSpec, environ: Mapping[str, str] | None = None) -> list[str]:
    """One sentence per doubt, for a person about to deploy ``spec``."""
    sentences = []
    for name in unset_env_refs(spec, environ):
        sentences.append(
            f"the proxy refers to ${{{name}}}, which is not set here; the worker reads it from "
            f"its supervisor's environment, so export {name} where the supervisor runs "
            "(else the node goes FATAL)"
        )
    for text in unknown_locations(spec):
        sentences.append(
            f"location {text!r} is not a place jobfleet knows (a typo?); it is searched as "
            "written, and postings found there get no city"
        )
    return sentences
