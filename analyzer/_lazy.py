"""Lazy re-exports for the package faces, so that importing a stage costs nothing until used.

Each stage's ``__init__.py`` names its public surface in a literal ``_EXPORTS`` mapping (name →
submodule) and builds ``__getattr__`` with :func:`exports`. The mapping is a literal so that the
import-graph test can read it without importing anything.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def exports(package: str, where: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` that imports ``package.where[name]`` on first use of ``name``."""

    def __getattr__(name: str) -> Any:
        try:
            module = where[name]
        except KeyError:
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        return getattr(importlib.import_module(f"{package}.{module}"), name)

    return __getattr__


class LazyModule:
    """A module imported on first attribute use (for package faces that ``cli`` loads at start-up:
    ``import analyzer.report.safe`` runs ``analyzer/report/__init__.py``, which must not pull in
    pandas before a command needs it)."""

    def __init__(self, name: str):
        object.__setattr__(self, "_name", name)

    def _module(self):
        return importlib.import_module(object.__getattribute__(self, "_name"))

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._module(), attr)

    def __setattr__(self, attr: str, value: Any) -> None:  # monkeypatching reaches the module
        setattr(self._module(), attr, value)

    def __delattr__(self, attr: str) -> None:
        delattr(self._module(), attr)
