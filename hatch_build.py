"""Builds engine/jobs/grouping/_speedups.c, the C half of the grouping sketch, into the wheel.

The extension is optional: where no C compiler is found the wheel is built without it and the
store sketches in pure Python (the same values, ~100 µs slower per new posting; see
engine/jobs/grouping/sketch.py). setuptools compiles it because it knows every platform's compiler
and flags; hatchling stays the build backend.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

MODULE = "engine.jobs.grouping._speedups"
SOURCE = "engine/jobs/grouping/_speedups.c"


class FastSketchHook(BuildHookInterface):  # type: ignore[type-arg]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel":
            return
        # Kept until ``finalize``: the wheel takes the module from here.
        self._out = Path(tempfile.mkdtemp(prefix="jobfleet-build-"))
        built = _compile(Path(self.root), self._out)
        if built is None:
            return
        target = Path(*MODULE.split(".")[:-1], built.name)
        build_data["pure_python"] = False
        build_data["infer_tag"] = True
        if version == "editable":
            # An editable install imports the source tree: the module goes beside its source.
            shutil.copy2(built, Path(self.root) / target)
        else:
            build_data["force_include"][str(built)] = str(target)

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        out = getattr(self, "_out", None)
        if out is not None:
            shutil.rmtree(out, ignore_errors=True)


def _compile(root: Path, out: Path) -> Path | None:
    from setuptools import Distribution, Extension
    from setuptools.command.build_ext import build_ext

    extension = Extension(MODULE, [str(root / SOURCE)], optional=True)
    command = build_ext(Distribution({"name": "jobfleet", "ext_modules": [extension]}))
    command.build_lib = str(out / "lib")
    command.build_temp = str(out / "temp")
    try:
        command.ensure_finalized()
        command.run()
    except Exception as exc:  # no compiler at all: setuptools raises before `optional` applies
        print(f"jobfleet: C sketch not built ({exc}); grouping sketches in Python", file=sys.stderr)
        return None
    built = Path(command.get_ext_fullpath(MODULE))
    if not built.exists():
        print("jobfleet: C sketch not built; grouping sketches in Python", file=sys.stderr)
        return None
    return built
