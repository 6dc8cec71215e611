"""``python -m engine.worker NODE_ID``: one long-lived worker process per node."""

from __future__ import annotations

import logging
import sys

from engine.db.handle import Database
from engine.settings import Settings
from engine.worker.loop import Worker


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or not args[0].isdigit():
        sys.stderr.write("usage: python -m engine.worker NODE_ID\n")
        return 2
    logging.basicConfig(
        level=logging.WARNING, stream=sys.stderr, format="%(asctime)s %(name)s %(message)s"
    )
    settings = Settings()
    worker = Worker(int(args[0]), settings, Database(settings), mirror=sys.stderr)
    return worker.run()


if __name__ == "__main__":
    sys.exit(main())
