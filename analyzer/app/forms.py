"""What the app's forms accept: athlete names here; diary entries are checked by the diary
(:func:`analyzer.store.diary.check_exercise` / ``check_pain``), imports by the importer."""

from __future__ import annotations

from typing import Any

from analyzer.errors import InvalidInput

#: Longest athlete name [characters] (the CLI's ``--athlete`` accepts as many).
MAX_NAME = 80


def athlete_name(value: Any, what: str = "athlete") -> str:
    """A name as typed in a form: not blank, at most :data:`MAX_NAME` characters, printable.

    Raises
    ------
    InvalidInput
        Naming the field (``what``) and the rule broken.
    """
    text = str(value or "").strip()
    if not text:
        raise InvalidInput(f"{what}: give a name")
    if len(text) > MAX_NAME:
        raise InvalidInput(f"{what}: at most {MAX_NAME} characters, got {len(text)}")
    if not text.isprintable():
        raise InvalidInput(f"{what}: {text!r} holds control characters; use plain text")
    return text


def field(form, key: str) -> str | None:
    """A form field's text, None when absent or blank."""
    value = form.get(key)
    if value is None or not isinstance(value, str) or not value.strip():
        return None
    return value.strip()
