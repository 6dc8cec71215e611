"""Concurrent first start of the embedded server on fresh homes: counts hangs and failures.

Each round makes a fresh ``JOBFLEET_HOME`` and launches 2, 3 or 4 real ``jobfleet`` commands at
the same moment (``nodes --json`` and ``db status --json``, each of which starts the embedded
server when it does not run), waits for all of them, then stops and deletes the cluster. A
command still running after --timeout seconds counts as a hang (and is killed); a non-zero exit
as a failure.

Run: .venv/bin/python bench/race_first_start.py [--rounds 20] [--timeout 180]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.db.embedded import remove_embedded

COMMANDS = [["nodes", "--json"], ["db", "status", "--json"]]


def one_round(width: int, timeout: float) -> tuple[int, int, list[str]]:
    """(hangs, failures, messages) of ``width`` commands racing on a fresh home."""
    home = Path(tempfile.mkdtemp(prefix="jf-race-"))
    env = {**os.environ, "JOBFLEET_HOME": str(home)}
    env.pop("JOBFLEET_DATABASE_URL", None)
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "engine", *COMMANDS[i % len(COMMANDS)]],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(width)
    ]
    hangs = failures = 0
    messages: list[str] = []
    for proc in procs:
        try:
            _, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            hangs += 1
            continue
        if proc.returncode != 0:
            failures += 1
            messages.append(
                err.strip().splitlines()[-1] if err.strip() else f"rc {proc.returncode}"
            )
    stop = subprocess.run(
        [sys.executable, "-m", "engine", "db", "stop"],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if stop.returncode != 0:
        failures += 1
        messages.append(f"db stop: {stop.stderr.strip()}")
    remove_embedded(home / "pg")
    shutil.rmtree(home, ignore_errors=True)
    return hangs, failures, messages


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds before a hang")
    args = parser.parse_args()
    hangs = failures = 0
    for number in range(args.rounds):
        width = 2 + number % 3  # 2, 3, 4, 2, …
        round_hangs, round_failures, messages = one_round(width, args.timeout)
        hangs += round_hangs
        failures += round_failures
        print(
            f"round {number + 1:>3}: {width} processes, {round_hangs} hung, "
            f"{round_failures} failed {'; '.join(messages)}",
            flush=True,
        )
    print(f"rounds: {args.rounds}  hangs: {hangs}  failures: {failures}")
    return 1 if hangs or failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
