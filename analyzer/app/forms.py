"""What the app's forms accept, checked as the command line and the diary check them
(:mod:`analyzer._base.values`): athlete names and choices here; diary entries are checked by the
diary (:func:`analyzer.store.diary.check_exercise` / ``check_pain``, on the same checks),
imports by the importer."""

from __future__ import annotations

from typing import Any

from analyzer._base import values


def athlete_name(value: Any, what: str = "athlete") -> str:
    """A name as typed in a form (:func:`analyzer._base.values.name`).

    Raises
    ------
    InvalidInput
        Naming the field (``what``) and the rule broken.
    """
    return values.name(value, what)


def choice(form, key: str, allowed: tuple[str, ...], what: str | None = None) -> str:
    """A form field that must be one of ``allowed`` (:func:`analyzer._base.values.choice`)."""
    return values.choice(field(form, key), allowed, what or key)


def field(form, key: str) -> str | None:
    """A form field's text, None when absent or blank."""
    value = form.get(key)
    if value is None or not isinstance(value, str) or not value.strip():
        return None
    return value.strip()
