"""The deploy form: every NodeSpec field, validated by the model itself, messages inline.
The same form edits a node (key ``e``): prefilled from its spec, saved by ``nodes.update_spec``
(the function behind ``jobfleet edit``), which restarts a running worker.

Validation, the location pool, the proxy check and the deploy all run in thread workers (the
country tables and the gazetteer load on first use; a proxy check waits on the network). A field
shows its message once the user has left it, and every field does after a failed Deploy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from types import UnionType
from typing import Any, ClassVar, Literal, Union, get_args, get_origin

from pydantic import ValidationError
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Select, SelectionList, Static, TextArea
from textual.widgets._select import NoSelection

from engine.db.handle import Database
from engine.fleet.plain import plain_message
from engine.fleet.spec import DEFAULT_SITES, NodeSpec, SpecField, site_choices
from tui.keys import ORDERED_KEYS, OrderedKeys
from tui.messages import Deployed, DeployFailed, FormChecked, PoolFilled, ProxyChecked
from tui.text import clean

# The form's layout: every NodeSpec field once (tests/tui/test_app.py checks), numbers together.
ALL_FIELDS: tuple[SpecField, ...] = (
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
    "memory_limit_mb",
    "proxies",
    "ca_cert",
    "schedule",
    "active",
    "timezone",
)
# Fields with a widget of their own; the others get one from their type in NodeSpec.
CHOICE_FIELDS: tuple[SpecField, ...] = ("country", "sites")
# What the label adds to the field's title in NodeSpec (how to fill the widget in).
HINTS: dict[SpecField, str] = {
    "locations": "one per line; filled from the country",
    "hours_old": "blank: any",
    "max_cycles": "then a fresh worker takes over; blank: never",
    "proxies": "one per line; passwords as ${ENV_VAR}",
    "ca_cert": "optional",
    "schedule": "optional; * 8-20 * * 1-5 is 08:00-20:59 Mon-Fri",
    "active": "optional; 22:00-06:00 crosses midnight",
    "timezone": "IANA name; blank: UTC",
}
NumberType = Literal["integer", "number"]


@dataclass(frozen=True)
class DeployPreset:
    """What a mode of the app (today: the demo) puts into every deploy form.

    ``values`` fill fields a new node starts with (a clone keeps its own); ``host`` pins every
    node deployed from the form to that host; ``hint`` is shown above the fields."""

    values: dict[str, Any] = field(default_factory=dict)
    host: str | None = None
    hint: str = ""


def _annotation(name: SpecField) -> tuple[object, bool]:
    """A field's type without ``None``, and whether it allows None."""
    annotation = NodeSpec.model_fields[name].annotation
    members = get_args(annotation) if get_origin(annotation) in (Union, UnionType) else ()
    if type(None) in members:
        rest = [m for m in members if m is not type(None)]
        return (rest[0] if len(rest) == 1 else annotation), True
    return annotation, False


def _number_type(name: SpecField) -> NumberType | None:
    kind = _annotation(name)[0]
    return "integer" if kind is int else "number" if kind is float else None


def _label(name: SpecField) -> str:
    title = NodeSpec.model_fields[name].title or name
    return f"{title} ({HINTS[name]})" if name in HINTS else title


NUMBER_FIELDS = tuple(n for n in ALL_FIELDS if _number_type(n) is not None)
# Blank means "no limit" for these (None); for the other numbers blank means the default.
NULLABLE = tuple(n for n in NUMBER_FIELDS if _annotation(n)[1])
# Free text in one Input, and lists edited one entry per line in a TextArea.
TEXT_FIELDS = tuple(n for n in ALL_FIELDS if n not in CHOICE_FIELDS and _annotation(n)[0] is str)
LINE_FIELDS = tuple(
    n for n in ALL_FIELDS if n not in CHOICE_FIELDS and _annotation(n)[0] == list[str]
)
LABELS: dict[SpecField, str] = {name: _label(name) for name in ALL_FIELDS}


@cache
def country_options() -> list[tuple[str, str]]:
    import pycountry

    return sorted((f"{c.name} ({c.alpha_2})", c.alpha_2) for c in pycountry.countries)


def validation_errors(data: dict[str, Any]) -> dict[str, str]:
    """Per-field messages from the NodeSpec model (never echoing the input: it may be secret)."""
    try:
        NodeSpec.model_validate(data)
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for err in exc.errors(include_input=False, include_url=False):
            loc = [str(p) for p in err.get("loc", ()) if not isinstance(p, int)]
            field = loc[0] if loc else "spec"
            msg = plain_message(NodeSpec, field, err)
            blank = data.get(field) in (None, "", [])
            if (
                blank
                and field in NodeSpec.model_fields
                and NodeSpec.model_fields[field].is_required()
            ):
                msg = "required"
            if field == "spec" and "delay_max" in msg:
                field = "delay_max"
                msg = msg.removeprefix("delay_max: ")
            head, colon, rest = msg.partition(": ")
            if field == "spec" and colon and head in ("schedule", "active", "timezone"):
                field, msg = head, rest
            errors.setdefault(field, clean(msg, max_len=300))
        return errors
    return {}


class DeployScreen(OrderedKeys, ModalScreen[int | None]):
    """Returns the new (or edited) node's id, or None when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [
        *ORDERED_KEYS,  # Tab, Shift+Tab, Home, End keep their order in a burst (tmux, SSH)
        Binding("escape", "cancel", "Cancel", tooltip="Close the form without deploying"),
        Binding("ctrl+s", "deploy", "Deploy", tooltip="Validate, create and start the node"),
        Binding("ctrl+t", "check_proxy", "Check proxy", tooltip="Test the first proxy"),
    ]

    def __init__(
        self,
        db: Database,
        *,
        initial: dict[str, Any] | None = None,
        preset: DeployPreset | None = None,
        editing: int | None = None,
    ) -> None:
        """``initial``: a clone's values (or, with ``editing``, the node's spec); ``preset``:
        the app mode's values, host and hint; ``editing``: the id of the node to change."""
        super().__init__()
        self.db = db
        self.editing = editing
        self.cloning = bool(initial) and editing is None
        self.preset = preset or DeployPreset()
        self.initial = dict(initial or self.preset.values)
        self.touched: set[str] = set()
        self.errors: dict[str, str] = {}
        self._auto_locations: list[str] | None = None
        self.deploying = False

    # --- layout ---

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog deploy"):
            title = "Clone a node" if self.cloning else "Deploy a new node"
            if self.editing is not None:
                title = f"Edit node {clean(self.initial.get('name'))} (a running worker restarts)"
            yield Static(title, classes="dialog-title", markup=False)
            if self.preset.hint and self.editing is None:
                yield Static(self.preset.hint, id="preset-hint", markup=False)
            with VerticalScroll(id="form"):
                for name in ALL_FIELDS:
                    yield from self._field(name, self._widget(name))
                    if name == "proxies":
                        with Horizontal(classes="proxy-check"):
                            yield Button("Check proxy", id="check-proxy", compact=True)
                            yield Static("", id="proxy-result")
            yield Static("", id="form-error", classes="field-error")
            with Horizontal(classes="buttons"):
                label = "Deploy (Ctrl+S)" if self.editing is None else "Save (Ctrl+S)"
                yield Button(label, id="deploy", variant="primary")
                yield Button("Cancel (Esc)", id="cancel")

    def _widget(self, name: SpecField) -> Widget:
        """The input for one field, filled from the initial values or the model's default."""
        init = self.initial
        widget_id = f"f-{name}"
        if name == "country":
            return Select[str](
                country_options(),
                prompt="choose a country",
                value=self._initial_country(),
                id=widget_id,
            )
        if name == "sites":
            chosen = set(init.get("sites") or DEFAULT_SITES)
            return SelectionList[str](*((s, s, s in chosen) for s in site_choices()), id=widget_id)
        if name in LINE_FIELDS:
            return TextArea(
                "\n".join(clean(x) for x in init.get(name) or []),
                id=widget_id,
                soft_wrap=False,
                show_line_numbers=False,
            )
        field = NodeSpec.model_fields[name]
        raw = init.get(name)
        if raw is None and name not in init and not field.is_required():
            raw = field.get_default(call_default_factory=True)
        value = "" if raw is None else clean(raw)
        number_type = _number_type(name)
        # The form's own messages say what is wrong (validate_on=()): Input's built-in
        # validators would turn a field red and say nothing, blank "never" fields included.
        if number_type is not None:
            return Input(value=value, id=widget_id, type=number_type, validate_on=())
        return Input(value=value, id=widget_id, validate_on=())

    def _initial_country(self) -> str | NoSelection:
        code = str(self.initial.get("country") or "")
        return code if code in {v for _, v in country_options()} else Select.NULL

    def _field(self, name: SpecField, widget: Widget) -> ComposeResult:
        with Vertical(classes="field", id=f"box-{name}"):
            yield Label(LABELS[name], classes="field-label")
            yield widget
            yield Static("", id=f"err-{name}", classes="field-error")

    def on_mount(self) -> None:
        self.query_one("#f-name", Input).focus()
        for name in ALL_FIELDS:
            self.query_one(f"#err-{name}", Static).display = False
        self.query_one("#form-error", Static).display = False
        country = self.query_one("#f-country", Select).value
        if isinstance(country, str) and not self.initial.get("locations"):
            self._fill_pool(country)

    # --- reading the form ---

    def form_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for name in TEXT_FIELDS:
            text = self.query_one(f"#f-{name}", Input).value.strip()
            # Blank optional text is "none"; blank required text stays "" so the model says why.
            data[name] = None if not text and _annotation(name)[1] else text
        country = self.query_one("#f-country", Select).value
        if isinstance(country, str):
            data["country"] = country  # left out when blank, so the model says "required"
        data["sites"] = list(self.query_one("#f-sites", SelectionList).selected)
        for name in LINE_FIELDS:
            data[name] = self._lines(name)
        for name in NUMBER_FIELDS:
            text = self.query_one(f"#f-{name}", Input).value.strip()
            if text:
                data[name] = text
            elif name in NULLABLE:
                data[name] = None
        return data

    def _lines(self, name: SpecField) -> list[str]:
        text = self.query_one(f"#f-{name}", TextArea).text
        return [line.strip() for line in text.splitlines() if line.strip()]

    # --- validation ---

    def _check(self, *, submit: bool = False) -> None:
        self._validate(self.form_data(), submit)

    @work(thread=True, exclusive=True, group="form-validate", exit_on_error=False)
    def _validate(self, data: dict[str, Any], submit: bool) -> None:
        self.post_message(FormChecked(validation_errors(data), submit))

    def on_form_checked(self, message: FormChecked) -> None:
        self.errors = message.errors
        if message.submit:
            self.touched.update(ALL_FIELDS)
        self._show_errors()
        if message.submit:
            if self.errors:
                first = next((f for f in ALL_FIELDS if f in self.errors), None)
                if first:
                    self.query_one(f"#box-{first}").scroll_visible(animate=False)
                self._set_form_error("Fix the fields marked in red.")
                self.deploying = False
            else:
                self._deploy(self.db, self.form_data())

    def _show_errors(self) -> None:
        for name in ALL_FIELDS:
            label = self.query_one(f"#err-{name}", Static)
            msg = self.errors.get(name, "") if name in self.touched else ""
            label.update(msg)
            label.display = bool(msg)
            self.query_one(f"#box-{name}").set_class(bool(msg), "-invalid")
        spec_msg = self.errors.get("spec", "")
        if spec_msg and "spec" in self.errors:
            self._set_form_error(spec_msg)

    def _set_form_error(self, text: str) -> None:
        widget = self.query_one("#form-error", Static)
        widget.update(text)
        widget.display = bool(text)

    def _field_of(self, widget_id: str | None) -> str | None:
        name = (widget_id or "").removeprefix("f-")
        return name if name in ALL_FIELDS else None

    def on_descendant_blur(self, event: Any) -> None:
        name = self._field_of(getattr(event.widget, "id", None))
        if name is not None:
            self.touched.add(name)
            self._check()

    @on(Input.Changed)
    @on(TextArea.Changed)
    @on(SelectionList.SelectedChanged)
    def _changed(self, event: Any) -> None:
        # Re-check as the user types, but only fields already visited show messages.
        if any(f in self.touched for f in ALL_FIELDS):
            self._check()

    @on(Select.Changed, "#f-country")
    def _country(self, event: Select.Changed) -> None:
        self.touched.add("country")
        self._check()
        if isinstance(event.value, str):
            self._fill_pool(event.value)

    # --- location pool ---

    def _fill_pool(self, country: str) -> None:
        current = self._lines("locations")
        if current and current != self._auto_locations:
            return  # the user wrote their own list: leave it alone
        self._load_pool(country)

    @work(thread=True, exclusive=True, group="form-pool", exit_on_error=False)
    def _load_pool(self, country: str) -> None:
        from engine.geo import largest_cities

        self.post_message(PoolFilled(country, largest_cities(country, n=10)))

    def on_pool_filled(self, message: PoolFilled) -> None:
        current = self._lines("locations")
        if current and current != self._auto_locations:
            return
        self._auto_locations = [clean(c) for c in message.cities]
        self.query_one("#f-locations", TextArea).text = "\n".join(self._auto_locations)

    # --- proxy check ---

    @on(Button.Pressed, "#check-proxy")
    def action_check_proxy(self) -> None:
        proxies = self._lines("proxies")
        result = self.query_one("#proxy-result", Static)
        if not proxies:
            result.update("Enter a proxy first.")
            return
        ca = self.query_one("#f-ca_cert", Input).value.strip() or None
        result.update("checking…")
        self._check_proxy(proxies[0], ca)

    @work(thread=True, exclusive=True, group="form-proxy", exit_on_error=False)
    def _check_proxy(self, proxy: str, ca: str | None) -> None:
        from engine.errors import UserError
        from engine.worker.proxies import check_proxy, resolve_proxy

        try:
            # The allowlist applies here too: the form may be served to other people (serve).
            resolved = resolve_proxy(proxy, self.db.settings.secret_env)
            check = check_proxy(resolved, ca_cert=ca, timeout=10)
        except UserError as exc:
            self.post_message(ProxyChecked(clean(str(exc), max_len=200), False))
            return
        if check.ok:
            self.post_message(ProxyChecked(f"OK, exit IP {clean(check.exit_ip)}", True))
        else:
            self.post_message(ProxyChecked(clean(check.error or "failed", max_len=200), False))

    def on_proxy_checked(self, message: ProxyChecked) -> None:
        result = self.query_one("#proxy-result", Static)
        result.update(message.text)
        result.set_class(message.ok, "-ok")
        result.set_class(not message.ok, "-bad")

    # --- deploy ---

    @on(Button.Pressed, "#deploy")
    def action_deploy(self) -> None:
        if self.deploying:
            return
        self.deploying = True
        self._set_form_error("")
        self._check(submit=True)

    @work(thread=True, exclusive=True, group="form-deploy", exit_on_error=False)
    def _deploy(self, db: Database, data: dict[str, Any]) -> None:
        from engine.errors import UserError
        from engine.fleet import nodes
        from engine.fleet.spec import parse_spec

        saved = ""
        try:
            spec = parse_spec(data)
            if self.editing is None:
                node_id = nodes.deploy(db, spec, start=True, host=self.preset.host)
                self._warn(spec)
            else:
                node_id = self.editing
                result = nodes.update_spec(db, node_id, spec)
                saved = _saved_text(result)
        except UserError as exc:
            message = clean(str(exc), max_len=300)
            field = "name" if "name" in message.split(":")[0] or "exists" in message else "spec"
            self.post_message(FormChecked({field: message}, submit=False))
            self.post_message(DeployFailed(message))
            return
        self.post_message(Deployed(int(node_id), saved))

    def _warn(self, spec: Any) -> None:
        """As `jobfleet deploy`: doubts about a valid spec (unset ${VAR}, unknown place)."""
        from engine.fleet.advice import spec_warnings

        for doubt in spec_warnings(spec):
            self.app.call_from_thread(
                self.app.notify, clean(doubt), severity="warning", timeout=15, markup=False
            )

    def on_deploy_failed(self, message: DeployFailed) -> None:
        self.deploying = False
        self.touched.add("name")
        self._show_errors()
        self._set_form_error(message.text)

    def on_deployed(self, message: Deployed) -> None:
        done = message.saved or f"Deployed node #{message.node_id}"
        self.app.notify(done, markup=False)
        self.dismiss(message.node_id)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


def _saved_text(result: Any) -> str:
    """What an edit did, for the notification (``result``: ``nodes.SpecEdit``)."""
    name = clean(result.name)
    if not result.changes:
        return f"{name}: no change"
    fields = ", ".join(clean(c.field) for c in result.changes)
    restart = "; its worker restarts" if result.restart_requested else ""
    return f"Saved {name}: {fields} changed{restart}"
