"""Load a script of ``benchmarks/`` (not a package) as a module, once per session."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def load_benchmark(script: str) -> ModuleType:
    """The module of ``benchmarks/<script>.py``, imported under ``evalkit_benchmarks_<script>``."""
    name = f"evalkit_benchmarks_{script}"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{script}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses of the script resolve their module here
        spec.loader.exec_module(module)
    return sys.modules[name]
