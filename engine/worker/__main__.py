"""``python -m engine.worker NODE_ID``: one long-lived worker process per node."""

import sys

from engine.worker.loop import main

sys.exit(main())
