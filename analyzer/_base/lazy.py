"""Lazy re-exports for the package faces, so that importing a stage costs nothing until used.

Each stage's ``__init__.py`` names its public surface in a literal ``_EXPORTS`` mapping (name →
submodule) and builds ``__getattr__`` with :func:`exports`. The mapping is a literal so that the
import-graph test can read it without importing anything.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def exports(
    package: str, where: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """A module's ``__getattr__`` that imports ``package.where[name]`` on first use of ``name``,
    and its ``__dir__``, so that ``dir()`` and tab completion in a notebook list the lazy names
    (type checkers and editors read the ``if TYPE_CHECKING:`` imports beside the map, which
    ``tests/test_layout.py`` keeps equal to it)."""

    def __getattr__(name: str) -> Any:
        try:
            module = where[name]
        except KeyError:
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        return getattr(importlib.import_module(f"{package}.{module}"), name)

    def __dir__() -> list[str]:
        import sys

        return sorted(set(vars(sys.modules[package])) | set(where))

    return __getattr__, __dir__
