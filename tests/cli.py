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


def jobfleet_tty(
    env: dict[str, str] | None, *args: str, columns: int = 80, timeout: float = 120
) -> tuple[int, str, str]:
    """The command with stdout on a terminal (a pseudo-terminal ``columns`` wide), as a person
    at a shell sees it: (exit status, what the terminal got, stderr)."""
    import os
    import pty
    import select
    import struct
    import termios
    import time
    from fcntl import ioctl

    master, slave = pty.openpty()
    ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    env = {**(env or os.environ), "COLUMNS": str(columns), "TERM": "xterm-256color"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "engine", *args],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=subprocess.PIPE,
    )
    os.close(slave)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.5)
            if ready:
                try:
                    data = os.read(master, 65536)
                except OSError:  # the child closed the terminal
                    break
                if not data:
                    break
                chunks.append(data)
            elif proc.poll() is not None:
                break
        err = proc.stderr.read() if proc.stderr else b""
        code = proc.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
    return code, b"".join(chunks).decode(errors="replace").replace("\r\n", "\n"), err.decode()
