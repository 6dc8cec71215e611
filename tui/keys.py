"""Keys that must act in the order they were typed, for every screen with a text field.

Textual handles a printable key in the focused widget as soon as that widget reads it, but a
key bound with a normal binding (Tab, Shift+Tab, Home, End in an Input) first bubbles from the
widget up to the app, which then runs the action. When keys arrive in one burst — tmux and SSH
deliver several at once (a fast typist, a paste of keys, a slow link) — the characters after
such a key are handled before it: `End` then `x` puts the x where the cursor was, and `Shift+Tab`
then `x` types into the field being left. Priority bindings run when the app first reads the
key, before it hands the next one on, so they keep the order; ``SkipAction`` lets the key go on
to the widget's own binding where the screen has nothing to do (a list's Home).
"""

from __future__ import annotations

from textual.actions import SkipAction
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Input, OptionList, TextArea

ORDERED_KEYS = [
    Binding("tab", "ordered_focus(1)", "Next field", show=False, priority=True),
    Binding("shift+tab", "ordered_focus(-1)", "Previous field", show=False, priority=True),
    Binding("home", "ordered_edge(-1)", "Start", show=False, priority=True),
    Binding("end", "ordered_edge(1)", "End", show=False, priority=True),
]


class OrderedKeys:
    """Mixin for a Screen: add ``*ORDERED_KEYS`` to its BINDINGS."""

    def action_ordered_focus(self, step: int) -> None:
        assert isinstance(self, Screen)
        if self.app.screen is not self:
            raise SkipAction()  # a dropdown or dialog above this screen has the keys
        if step > 0:
            self.focus_next()
        else:
            self.focus_previous()

    def action_ordered_edge(self, step: int) -> None:
        assert isinstance(self, Screen)
        focused = self.focused
        # Run in the widget's own queue: after what it was sent before (the Focus event of a
        # field just tabbed into, which selects its text) and before the keys that follow.
        if isinstance(focused, Input):
            focused.call_later(focused.action_end if step > 0 else focused.action_home)
        elif isinstance(focused, TextArea):
            edge = focused.action_cursor_line_end if step > 0 else focused.action_cursor_line_start
            focused.call_later(edge)
        elif isinstance(focused, OptionList):
            focused.call_later(focused.action_last if step > 0 else focused.action_first)
        else:
            raise SkipAction()
