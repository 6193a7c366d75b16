"""Strings from files and arguments, made safe to print on a terminal.

Athlete names, device and product names, file and archive-member names and error messages come
from files or the command line, and a terminal obeys whatever bytes reach it: an ESC sequence in
a product name can clear the screen, retitle the window or forge a hyperlink, and rich parses
``[...]`` in plain strings as console markup (``[/]`` raises MarkupError, ``[link=...]`` makes a
link). Everything printed goes through :func:`visible` (plain ``print``) or :func:`text` (rich),
which show control characters instead of sending them:

- C0 controls and DEL as the Unicode control pictures (ESC 0x1B -> ``␛``, NUL -> ``␀``,
  newline -> ``␊``, DEL -> ``␡``);
- C1 controls (0x80-0x9F, e.g. the one-byte CSI 0x9B) and the invisible bidirectional and
  zero-width format characters (which can make a name read as another) as ``\\x9b`` /
  ``\\u202e`` escapes.

:func:`text` returns a :class:`rich.text.Text`, which rich never parses as markup.
"""

from __future__ import annotations

from functools import cache
from typing import Any

#: Unicode format characters that reorder or hide text (bidi embeddings, overrides and
#: isolates; zero-width space, joiners, marks; the byte-order mark).
_FORMAT_CHARS = (
    *range(0x200B, 0x2010),
    *range(0x202A, 0x202F),
    *range(0x2066, 0x206A),
    0xFEFF,
)


@cache
def _table() -> dict[int, str]:
    table = {c: chr(0x2400 + c) for c in range(0x20)}
    table[0x7F] = "\u2421"
    table.update({c: f"\\x{c:02x}" for c in range(0x80, 0xA0)})
    table.update({c: f"\\u{c:04x}" for c in _FORMAT_CHARS})
    return table


def visible(value: Any) -> str:
    """``str(value)`` with every control and invisible format character shown, not sent.

    Parameters
    ----------
    value : any
        A name or message (``None`` gives ``"None"``, as ``str`` does).

    Examples
    --------
    >>> visible("fenix\\x1b]0;pwned\\x07")
    'fenix␛]0;pwned␇'
    """
    return str(value).translate(_table())


def text(value: Any, style: str = ""):
    """``value`` as a :class:`rich.text.Text` (never parsed as markup) through :func:`visible`."""
    from rich.text import Text

    return Text(visible(value), style=style)


def line(*parts: Any):
    """One :class:`rich.text.Text` line from pieces, each a value or a ``(value, style)`` pair,
    every piece through :func:`visible` (instead of an f-string with ``[bold]`` markup)."""
    from rich.text import Text

    out = Text()
    for part in parts:
        value, style = part if isinstance(part, tuple) else (part, "")
        out.append(visible(value), style=style)
    return out


__all__ = ["line", "text", "visible"]
