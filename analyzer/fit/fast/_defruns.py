"""Walk stretches where a definition precedes (almost) every data message, in C-speed steps.

Some watches (Suunto's Ambit and Spartan among them) write a definition message before each
record, alternating a few layouts on one local type: half the messages of such a file are
definitions, and the header walk of :mod:`analyzer.fit.fast._walk` spends a Python loop
iteration on each of them. The layouts themselves repeat byte for byte, so once the walk has
seen them, one compiled regular expression recognises "this definition, then its data
messages" as a single token: the definition's exact bytes (header byte, any reserved byte,
then the layout) followed by as many data messages of that local type as there are (their
header byte, then exactly the layout's size). Each :func:`DefinitionRuns.walk` step is one
anchored match, so it reads what the Python loop would have read, token by token, and stops
at the first byte that is anything else (a new layout, a compressed-timestamp header,
developer data, the end of the file), where the Python loop takes over again with its checks.

Only plain layouts are recognised: no developer fields, no zero-sized field, and not the
developer-data messages whose contents change later definitions.
"""

from __future__ import annotations

import re

import numpy as np

from analyzer.fit.messages import DEVELOPER_DATA_ID, FIELD_DESCRIPTION

#: Definitions the Python loop handles before this walk is tried (again) ...
TRY_AFTER_DEFINITIONS = 16
#: ... and at most, after tries that took little (the wait doubles after each).
MAX_TRY_AFTER = 1 << 12
#: Bytes searched by the first window of a try, and by the largest [bytes]: what a search past
#: the last token can cost.
FIRST_WINDOW = 1 << 11
WINDOW = 1 << 16


class DefinitionRuns:
    """The layouts seen so far in one FIT file, as one pattern (see the module docstring)."""

    def __init__(self) -> None:
        #: (local type, layout bytes) -> Definition, for every plain layout seen.
        self.seen: dict[tuple[int, bytes], object] = {}
        self._built = -1
        self._pattern: re.Pattern[bytes] | None = None
        self._groups: list[tuple[int, object, int]] = []
        #: Definitions handled by the Python loop since the last try, and before the next.
        self.since = 0
        self.every = TRY_AFTER_DEFINITIONS

    def note(self, h: int, key: bytes, d) -> None:
        """Record a definition the Python loop parsed (header byte ``h``, layout ``key``)."""
        self.since += 1
        if h & 0xF0 == 0x40 and not d.bad and d.gnum not in (DEVELOPER_DATA_ID, FIELD_DESCRIPTION):
            self.seen.setdefault((h & 0xF, key), d)

    def ready(self) -> bool:
        """Whether to try :meth:`walk` at the next definition."""
        return self.since >= self.every and bool(self.seen)

    def _compile(self) -> re.Pattern[bytes]:
        if self._built != len(self.seen):
            parts, self._groups = [], []
            for (slot, key), d in self.seen.items():
                head = re.escape(bytes([0x40 | slot]))
                body = re.escape(bytes([slot])) + b".{%d}" % d.size
                parts.append(b"(" + head + b"." + re.escape(key) + b"(?:" + body + b")*)")
                self._groups.append((slot, d, 2 + len(key)))
            self._pattern = re.compile(b"|".join(parts), re.DOTALL)
            self._built = len(self.seen)
        return self._pattern

    def walk(self, data: bytes, pos: int, limit: int, local: list, csd_resets: list[int]) -> int:
        """Consume definition-and-data tokens from ``pos`` (a definition's header) up to
        ``limit``; returns the offset after the last one (``pos`` when none matched).

        Updates what the Python loop would: each layout's data runs, the local types' current
        definitions (``local``) and the compressed speed/distance restarts (``csd_resets``).
        The file is searched a window at a time, from :data:`FIRST_WINDOW` bytes doubling up
        to :data:`WINDOW` while the tokens follow each other; only the tokens that follow
        each other without a gap from ``pos`` are taken. A try that takes few tokens doubles
        the definitions the loop handles before the next (files whose definitions do not
        repeat, or repeat between other messages, stop paying for tries).
        """
        self.since = 0
        pattern = self._compile()
        start = pos
        if pattern.match(data, pos, limit) is None:
            self._back_off(0)
            return pos
        window = FIRST_WINDOW
        while pos < limit:
            stop = min(limit, pos + window)
            found = [(m.start(), m.lastindex, m.end()) for m in pattern.finditer(data, pos, stop)]
            if not found or found[0][0] != pos:
                break
            at = np.array(found, dtype=np.int64)
            # the tokens taken: those that start where the previous one ended
            gaps = np.flatnonzero(at[1:, 0] != at[:-1, 2])
            took = int(gaps[0]) + 1 if len(gaps) else len(at)
            # the window's end may cut the last token's data messages short: search it again
            cut = took == len(at) and stop < limit
            if cut and took == 1:
                if window == WINDOW:
                    break
                window *= 2
                continue
            took -= cut
            self._take(at[:took], local, csd_resets)
            pos = int(at[took - 1, 2])
            if took < len(at) and not cut:
                break
            window = min(2 * window, WINDOW)
        self._back_off(pos - start)
        return pos

    def _back_off(self, taken: int) -> None:
        """Wait longer before the next try when this one took less than a window's worth."""
        if taken < FIRST_WINDOW:
            self.every = min(2 * self.every, MAX_TRY_AFTER)
        else:
            self.every = TRY_AFTER_DEFINITIONS

    def _take(self, at: np.ndarray, local: list, csd_resets: list[int]) -> None:
        """Book tokens ``at`` (rows of start, group, end, in file order) as the loop would."""
        starts, group, ends = at[:, 0], at[:, 1] - 1, at[:, 2]
        slots = np.array([slot for slot, _, _ in self._groups])[group]
        resets = np.array([d.resets_csd for _, d, _ in self._groups])[group]
        csd_resets.extend(starts[resets].tolist())  # (in file order, as the loop appends them)
        for i in np.unique(group).tolist():
            _, d, dlen = self._groups[i]
            mine = group == i
            body = starts[mine] + dlen
            step = d.size + 1
            count = (ends[mine] - body) // step
            has = count > 0
            firsts, counts = (body[has] + 1).tolist(), count[has].tolist()
            d.runs.extend((b, c, step) for b, c in zip(firsts, counts, strict=True))
        for slot in np.unique(slots).tolist():
            local[slot] = self._groups[int(group[np.flatnonzero(slots == slot)[-1]])][1]
