"""Regenerate the scale/offset table of ``analyzer/fit/profile.py`` from ``garmin_fit_sdk``.

Run ``.venv/bin/python benchmarks/gen_fitprofile.py`` after upgrading garmin-fit-sdk; it prints
the ``SCALE_OFFSET`` literal to paste into ``analyzer/fit/profile.py`` (the test suite fails while
the two disagree).
"""

from __future__ import annotations

from garmin_fit_sdk import Profile

from analyzer.fit.messages import WANTED_MESSAGES


def scale_offset_literal() -> str:
    """The ``SCALE_OFFSET`` dictionary as Python source."""
    lines = ["SCALE_OFFSET: dict[int, dict[int, tuple[float, float]]] = {"]
    for mesg in sorted(WANTED_MESSAGES):
        message = Profile["messages"][mesg]
        entries = []
        for num, fld in sorted(message["fields"].items()):
            if len(fld["scale"]) != 1:
                continue
            pair = (fld["scale"][0], fld["offset"][0])
            if pair != (1, 0):
                entries.append(f"        {num}: ({pair[0]!r}, {pair[1]!r}),  # {fld['name']}")
        if entries:
            lines.append(f"    {mesg}: {{  # {message['name']}")
            lines.extend(entries)
            lines.append("    },")
    lines.append("}")
    return "\n".join(lines)


if __name__ == "__main__":
    version = Profile["version"]
    print(f"# FIT profile {version['major']}.{version['minor']}")
    print(scale_offset_literal())
