"""The workers' log files: ``$JOBFLEET_HOME/logs/node-ID.log``, rotated by size.

A worker's stdout and stderr go to its node's file (opened with O_APPEND by the supervisor): the
events it emits, one line each (as `jobfleet logs` prints them), and anything Python prints when
it dies (a traceback). The database keeps the events too; the file is what is left when the
database was away, or the worker died before it could write.

Rotation is by size and by copy-and-truncate (logrotate's ``copytruncate``), so a running worker
keeps writing through the descriptor it has: when a file passes ``JOBFLEET_LOG_FILE_MAX_MB``
(default 5), ``node-ID.log.2`` becomes ``.3`` and so on, the file is copied to ``.1`` and
truncated; files past ``JOBFLEET_LOG_FILE_KEEP`` (default 3) are deleted. So a node's files never
hold more than about ``max × (keep + 1)`` (20 MiB by default). The supervisor checks at each spawn
and with every spool sweep (``JOBFLEET_SPOOL_REPLAY_INTERVAL``, 60 s); a line written between the
copy and the truncate can be lost, which is why the database, not the file, is the record.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path
from typing import Any

LOG_GLOB = "node-*.log"


def log_path(home: Path, node_id: int) -> Path:
    return home / "logs" / f"node-{node_id}.log"


def rotate(path: Path, *, max_bytes: int, keep: int) -> bool:
    """Rotate ``path`` if it is larger than ``max_bytes``; True if it did."""
    try:
        if path.stat().st_size <= max_bytes:
            return False
    except OSError:
        return False
    keep = max(keep, 0)
    with contextlib.suppress(OSError):
        for extra in sorted(path.parent.glob(f"{path.name}.*")):
            suffix = extra.name.removeprefix(f"{path.name}.")
            if suffix.isdigit() and int(suffix) >= keep:
                extra.unlink()  # past the cap (also when keep was lowered)
    for n in range(keep - 1, 0, -1):
        older = path.with_name(f"{path.name}.{n}")
        if older.exists():
            with contextlib.suppress(OSError):
                older.replace(path.with_name(f"{path.name}.{n + 1}"))
    try:
        if keep:
            shutil.copyfile(path, path.with_name(f"{path.name}.1"))
            os.chmod(path.with_name(f"{path.name}.1"), 0o600)
        os.truncate(path, 0)
    except OSError:
        return False
    return True


def rotate_all(logs_dir: Path, *, max_bytes: int, keep: int) -> int:
    """Rotate every node's file under ``logs_dir`` that is due; returns how many were."""
    if not logs_dir.is_dir():
        return 0
    return sum(rotate(p, max_bytes=max_bytes, keep=keep) for p in logs_dir.glob(LOG_GLOB))


def log_limits(settings: Any) -> dict[str, int]:
    """``max_bytes`` and ``keep`` from the settings (``JOBFLEET_LOG_FILE_MAX_MB``, ``…_KEEP``)."""
    return {
        "max_bytes": int(settings.log_file_max_mb * 1024 * 1024),
        "keep": int(settings.log_file_keep),
    }
