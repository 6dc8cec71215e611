"""Errors a user can cause and fix. The CLI prints them as one sentence, without a traceback."""


class UserError(Exception):
    """A problem the user can fix (bad input, unreachable database, unknown node, ...)."""


class DatabaseUnavailable(UserError):
    """The database cannot be reached (the message is already free of secrets)."""
