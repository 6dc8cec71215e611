"""Running the real ``jobfleet`` command in a subprocess, as a user would."""

from __future__ import annotations

import subprocess
import sys


def jobfleet(
    env: dict[str, str] | None,
    *args: str,
    check: bool = False,
    timeout: float = 120,
    input: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """``input``: what the user types (answers to prompts); without it stdin is inherited."""
    return subprocess.run(
        [sys.executable, "-m", "engine", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=check,
        input=input,
    )
