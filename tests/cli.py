"""Running the real ``jobfleet`` command in a subprocess, as a user would."""

from __future__ import annotations

import subprocess
import sys


def jobfleet(
    env: dict[str, str] | None, *args: str, check: bool = False, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "engine", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=check,
    )
