"""NodeSpec: what one node scrapes, how often, and through which proxies.

The deploy form, ``jobfleet deploy`` and the worker all read a node through this one model. It is
stored as jsonb in ``nodes.spec`` after validation, so a worker never sees a spec that was not
checked. Proxy credentials are ``${ENV_VAR}`` references: the stored spec, the logs and every
display hold only the reference; the worker resolves it from its environment at the last moment.

Importing this module stays cheap (no jobspy, no pandas, no gazetteer): the long-lived worker
imports it. jobspy's site list is read from jobspy's own source with ``ast`` because importing
``jobspy.model`` executes ``jobspy/__init__.py``, which imports pandas (~60 MB).
"""

from __future__ import annotations

import ast
import importlib.util
import re
import ssl
import unicodedata
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from engine.errors import UserError
from engine.redact import mask_url
from engine.settings import get_settings, secret_ref_refusal

# The sites the simulated boards and our scrape child are known to handle. jobspy knows more;
# they are offered too (the list comes from jobspy), these two are just the default.
DEFAULT_SITES = ("linkedin", "indeed")
MAX_LOCATIONS = 200
MAX_PROXIES = 50
MAX_TEXT = 200
# ${NAME}: the only form a credential may take inside a stored proxy URL.
ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]{0,100})\}")
_NAME = re.compile(r"^[\w][\w .\-]*$")
_PROXY_SCHEMES = ("http", "https")


class SpecError(UserError):
    """A node spec that cannot be used; the message names the offending field."""


@cache
def site_choices() -> list[str]:
    """jobspy's own ``Site`` values, read from its source without importing it (see module doc)."""
    spec = importlib.util.find_spec("jobspy")
    if spec is None or not spec.submodule_search_locations:
        raise SpecError("python-jobspy is not installed, so no job site can be chosen")
    model = Path(next(iter(spec.submodule_search_locations))) / "model.py"
    tree = ast.parse(model.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == "Site":
            values = [
                stmt.value.value
                for stmt in node.body
                if isinstance(stmt, ast.Assign)
                and isinstance(stmt.value, ast.Constant)
                and isinstance(stmt.value.value, str)
            ]
            if values:
                return values
    raise SpecError(f"could not read the list of job sites from {model}")


def _check_text(value: str, *, limit: int = MAX_TEXT) -> str:
    """Refuse control characters and huge values; normalise Unicode and surrounding space."""
    if not isinstance(value, str):
        raise ValueError("must be text")
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Cs") for ch in value):
        raise ValueError("must not contain control characters")
    value = unicodedata.normalize("NFC", value).strip()
    if len(value) > limit:
        raise ValueError(f"must be at most {limit} characters")
    return value


def _split_list(value: Any) -> Any:
    if isinstance(value, str):
        return [part for part in (p.strip() for p in value.split(",")) if part]
    return value


def split_proxy(url: str) -> tuple[str, str | None, str | None, str]:
    """(scheme, user, password, host:port) of a proxy URL; does not decode anything."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise ValueError("must look like http://HOST:PORT or http://USER:${PASSWORD_VAR}@HOST:PORT")
    rest = rest.rstrip("/")
    userinfo, at, hostport = rest.rpartition("@")
    if not at:
        return scheme.lower(), None, None, rest
    user, colon, password = userinfo.partition(":")
    return scheme.lower(), user, (password if colon else None), hostport


def _check_proxy(url: str) -> str:
    url = _check_text(url, limit=2000)
    scheme, user, password, hostport = split_proxy(url)
    if scheme not in _PROXY_SCHEMES:
        raise ValueError(f"scheme must be one of {', '.join(_PROXY_SCHEMES)}")
    host, colon, port = hostport.rpartition(":")
    if not colon or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError("must name a host and a port, like http://proxy.example:8080")
    if "/" in hostport or "$" in hostport or any(c.isspace() for c in hostport):
        raise ValueError("host:port must be plain (no path, no ${...} reference)")
    if password is not None and not ENV_REF.fullmatch(password):
        # Never echo the value: it is most likely the secret itself.
        raise ValueError(
            "holds a literal password; put the password in an environment variable and write "
            "${VAR_NAME} in its place in the URL"
        )
    if user is not None and "$" in user and not ENV_REF.fullmatch(user):
        raise ValueError("user name must be plain text or a single ${VAR_NAME} reference")
    return url


# The names of NodeSpec's fields, for code that names one (the deploy form): a typo or a renamed
# field is then a type error there. tests/unit/test_spec.py checks this matches the model.
SpecField = Literal[
    "name",
    "search_term",
    "country",
    "locations",
    "sites",
    "results_wanted",
    "hours_old",
    "delay_min",
    "delay_max",
    "cycle_minutes",
    "max_cycles",
    "proxies",
    "ca_cert",
    "memory_limit_mb",
    "schedule",
    "active",
    "timezone",
]


class NodeSpec(BaseModel):
    """One node's configuration (validated; secrets only as ``${ENV_VAR}`` references)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False, frozen=True)

    # Titles are the field names people read (the deploy form's labels start with them).
    name: str = Field(title="Name", min_length=1, max_length=100)
    search_term: str = Field(title="Search term", min_length=1, max_length=MAX_TEXT)
    country: str = Field(
        title="Country", description="ISO 3166-1 alpha-2 code (a country name is resolved)"
    )
    locations: list[str] = Field(title="Locations", default_factory=list, max_length=MAX_LOCATIONS)
    sites: list[str] = Field(
        title="Job sites", default_factory=lambda: list(DEFAULT_SITES), min_length=1
    )
    results_wanted: int = Field(title="Results per search", default=20, ge=1, le=1000)
    hours_old: int | None = Field(title="Max age of postings, hours", default=72, ge=1, le=24 * 365)
    delay_min: float = Field(title="Delay between searches, min s", default=30.0, ge=0, le=86400)
    delay_max: float = Field(title="Delay between searches, max s", default=90.0, ge=0, le=86400)
    cycle_minutes: float = Field(
        title="Pause between cycles, minutes", default=30.0, ge=0, le=7 * 24 * 60
    )
    max_cycles: int | None = Field(
        title="Cycles before the worker is recycled", default=50, ge=1, le=1_000_000
    )
    proxies: list[str] = Field(title="Proxies", default_factory=list, max_length=MAX_PROXIES)
    ca_cert: str | None = Field(title="CA certificate file for the proxy", default=None)
    memory_limit_mb: int = Field(title="Memory limit, MiB", default=256, ge=64, le=65536)
    # Active hours (engine.fleet.schedule): outside them the node rests, status "scheduled".
    schedule: str | None = Field(title="Active hours, cron", default=None)
    active: str | None = Field(title="Active hours, HH:MM-HH:MM", default=None)
    timezone: str | None = Field(title="Time zone of the active hours", default=None)

    @field_validator("name", mode="before")
    @classmethod
    def _name(cls, value: Any) -> str:
        value = _check_text(value, limit=100)
        if not _NAME.match(value):
            raise ValueError("may hold letters, digits, spaces, '.', '-' and '_' only")
        if value.isdigit():
            raise ValueError("must not be a number (numbers are node ids)")
        return str(value)

    @field_validator("search_term", mode="before")
    @classmethod
    def _search_term(cls, value: Any) -> str:
        return _check_text(value)

    @field_validator("country", mode="before")
    @classmethod
    def _country(cls, value: Any, info: ValidationInfo) -> str:
        value = _check_text(value, limit=100)
        if info.context and info.context.get("stored") and re.fullmatch(r"[A-Z]{2}", value):
            return str(
                value
            )  # validated when it was written; skip the country tables in the worker
        from engine.geo import resolve_country

        code = resolve_country(value)
        if not code:
            raise ValueError("is not a country name or ISO code known to jobfleet")
        return code

    @field_validator("locations", mode="before")
    @classmethod
    def _locations(cls, value: Any) -> list[str]:
        value = _split_list(value) if isinstance(value, str) else value
        if value is None:
            return []
        if not isinstance(value, list | tuple):
            raise ValueError("must be a list of place names")
        seen: dict[str, str] = {}
        for item in value:
            text = _check_text(item)
            if text and text.casefold() not in seen:
                seen[text.casefold()] = text
        return list(seen.values())

    @field_validator("sites", mode="before")
    @classmethod
    def _sites(cls, value: Any) -> list[str]:
        value = _split_list(value)
        if not isinstance(value, list | tuple):
            raise ValueError("must be a list of job sites")
        choices = site_choices()
        sites: list[str] = []
        for item in value:
            site = _check_text(item, limit=40).lower()
            if site not in choices:
                raise ValueError(f"unknown site {site!r}; choose from {', '.join(choices)}")
            if site not in sites:
                sites.append(site)
        return sites

    @field_validator("proxies", mode="before")
    @classmethod
    def _proxies(cls, value: Any) -> list[str]:
        value = _split_list(value)
        if value is None:
            return []
        if not isinstance(value, list | tuple):
            raise ValueError("must be a list of proxy URLs")
        out: list[str] = []
        for i, item in enumerate(value):
            try:
                out.append(_check_proxy(item))
            except ValueError as exc:
                raise ValueError(f"entry {i + 1} {exc}") from None
        return out

    @field_validator("ca_cert", mode="before")
    @classmethod
    def _ca_cert(cls, value: Any, info: ValidationInfo) -> str | None:
        if value in (None, ""):
            return None
        text = _check_text(value, limit=4096)
        path = Path(text).expanduser()
        if info.context and info.context.get("stored"):
            return str(path)
        problem = ca_file_problem(str(path))
        if problem:
            raise ValueError(problem)
        return str(path.resolve())

    @field_validator("schedule", "active", "timezone", mode="before")
    @classmethod
    def _window_text(cls, value: Any) -> str | None:
        if value in (None, ""):
            return None
        return _check_text(value, limit=100) or None

    @model_validator(mode="after")
    def _ranges(self) -> NodeSpec:
        if self.delay_max < self.delay_min:
            raise ValueError("delay_max: must not be smaller than delay_min")
        return self

    @model_validator(mode="after")
    def _window(self, info: ValidationInfo) -> NodeSpec:
        if info.context and info.context.get("stored"):
            return self  # checked when written; the worker need not load croniter
        from engine.fleet.schedule import ScheduleError, make_window

        if self.timezone and not (self.schedule or self.active):
            raise ValueError("timezone: only means something with schedule or active")
        try:
            make_window(self.schedule, self.active, self.timezone)
        except ScheduleError as exc:
            field = (
                "timezone"
                if "time zone" in str(exc)
                else "schedule"
                if self.schedule and not self.active
                else "active"
                if self.active and not self.schedule
                else "schedule"
            )
            raise ValueError(f"{field}: {exc}") from None
        return self

    # --- views ---

    def display_dict(self) -> dict[str, Any]:
        """The spec for people. Stored proxies hold only ``${VAR}`` references, which are shown
        as they are (they say which variable to set); anything else secret-looking is masked."""
        data = self.model_dump(mode="json")
        data["proxies"] = [p if ENV_REF.search(p) else mask_url(p) for p in self.proxies]
        return data

    def stored_dict(self) -> dict[str, Any]:
        """The spec as written to ``nodes.spec`` (secrets are references, never values)."""
        return self.model_dump(mode="json")


def _field_name(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if not isinstance(p, int)]
    return ".".join(parts) or "spec"


def _describe(exc: ValidationError) -> str:
    from engine.fleet.plain import plain_message

    """One line per problem, naming the field; never the input (it may be a secret)."""
    lines = []
    for err in exc.errors(include_input=False, include_url=False):
        field = _field_name(tuple(err.get("loc", ())))
        msg = str(err.get("msg", "is invalid"))
        msg = msg.removeprefix("Value error, ")
        if err.get("type") == "extra_forbidden":
            msg = "is not a spec field"
        elif err.get("type") == "missing":
            msg = "is required"
        elif field in NodeSpec.model_fields:
            msg = plain_message(NodeSpec, field, err)
        lines.append(msg if field == "spec" and ": " in msg else f"{field}: {msg}")
    return "; ".join(lines)


def parse_spec(
    data: dict[str, Any], *, fill_locations: bool = True, secret_env: str | None = None
) -> NodeSpec:
    """Validate user input into a NodeSpec (raises SpecError naming the field).

    An empty ``locations`` list is filled with the country's largest cities, so the stored spec
    always lists what the worker will walk (and the user can edit it). Proxy references must be
    allowed by ``secret_env`` (default: this process's ``JOBFLEET_SECRET_ENV``).
    """
    if not isinstance(data, dict):
        raise SpecError("a node spec must be a mapping of field names to values")
    try:
        spec = NodeSpec.model_validate(data)
    except ValidationError as exc:
        raise SpecError(f"invalid node spec: {_describe(exc)}") from None
    check_secret_refs(spec, get_settings().secret_env if secret_env is None else secret_env)
    if fill_locations and not spec.locations:
        from engine.geo import largest_cities

        cities = largest_cities(spec.country, n=10)
        if not cities:
            raise SpecError(
                f"locations: none given and no city list is known for {spec.country}; "
                "name at least one location"
            )
        spec = spec.model_copy(update={"locations": cities})
    return spec


def load_stored_spec(data: dict[str, Any]) -> NodeSpec:
    """Re-read a spec that was validated when it was written (the worker's path: no gazetteer)."""
    try:
        return NodeSpec.model_validate(data, context={"stored": True})
    except ValidationError as exc:
        raise SpecError(f"the stored node spec is invalid: {_describe(exc)}") from None


def ca_file_problem(path: str | None) -> str | None:
    """Why ``path`` cannot serve as the CA file of a node's proxies, in one sentence (None: it
    can, or there is none). Checked at deploy on the deploying host, and by the worker before
    its first scrape, where the file is actually read (a problem there is a config error)."""
    if not path:
        return None
    if not Path(path).is_file():
        return f"no such file: {path}"
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    try:
        context.load_verify_locations(cafile=path)
    except OSError as exc:  # ssl.SSLError is an OSError too: test it first
        if isinstance(exc, ssl.SSLError):
            return f"{path} holds no PEM certificate (expected -----BEGIN CERTIFICATE-----)"
        return f"{path} cannot be read: {exc.strerror or exc.__class__.__name__}"
    return None


def proxy_env_refs(spec: NodeSpec) -> list[str]:
    """Names of the environment variables the spec's proxies refer to."""
    names: list[str] = []
    for proxy in spec.proxies:
        for name in ENV_REF.findall(proxy):
            if name not in names:
                names.append(name)
    return names


def check_secret_refs(spec: NodeSpec, secret_env: str) -> None:
    """Refuse a spec whose proxies refer to a variable ``secret_env`` does not allow (SpecError,
    one sentence naming the variable and the setting). Deploy checks it, and so does the worker:
    the database is not trusted to hold only specs that passed deploy."""
    for name in proxy_env_refs(spec):
        refusal = secret_ref_refusal(name, secret_env)
        if refusal:
            raise SpecError(refusal)
