"""jobfleet's engine: orchestration, workers, scraping, normalization and storage.

The engine never imports Textual, so the headless supervisor and the workers stay small.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("jobfleet")
except PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0.0.0+checkout"
