"""Alerts: what went wrong in the fleet, stored in the database and sent with apprise.

``rules`` decides (pure), ``monitor`` checks on the supervisor's tick and writes alerts,
``send`` delivers them from a thread of its own, ``store`` reads them for the CLI.
"""
