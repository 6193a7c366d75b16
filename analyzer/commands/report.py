"""CLI commands: report (being built; see the issue that owns it)."""

from __future__ import annotations


def register(sub) -> None:  # noqa: ARG001 - filled in by the owning issue
    pass
