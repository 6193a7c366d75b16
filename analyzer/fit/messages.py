"""The one interface between a FIT *decoder* and the data contract.

A decoder (fitparse, or the project's vectorised decoder) turns a payload's bytes into
:class:`FitMessages`; :func:`analyzer.fit.activity.build_activity` turns that into an
:class:`~analyzer.fit.activity.Activity` in the contract's columns and units. Keeping unit conversion
out of the decoders is what lets a faster decoder replace fitparse without touching callers,
and lets a test assert that both produce the same Activity.

Specification of :attr:`FitMessages.tables` (every decoder must follow it exactly; the two
decoders are compared table by table, column by column):

- Keys are global message numbers. A decoder must supply every message in
  :data:`WANTED_MESSAGES` that the file contains; it may omit all others.
- One row per data message, in file order (chained FIT files: in order, one after another).
  Rows are built from the message's own bytes; nothing is carried over from earlier messages.
- Native field columns are named by the field definition number (``int``). When a definition
  lists the same field number twice, the last one wins.
- Values of native fields (the *element count* is field size / base-type size, using the base
  type written in the definition message, not the profile's):

  * invalid values are those of the base type written in the definition (0xFF for enum/uint8,
    0x7F sint8, 0xFFFF uint16, 0x7FFF sint16, 0xFFFFFFFF uint32, 0x7FFFFFFF sint32, 0 for the
    ``z`` types, NaN for floats, all-0xFF for byte) and become NaN (``None`` for strings);
  * single-element numeric fields: ``raw / scale - offset`` as float64, where scale and offset
    come from :func:`profile_scale_offset` (Garmin FIT SDK profile as shipped in
    ``garmin_fit_sdk``; 1 and 0 for fields the profile does not know or that carry several
    component scales). Enums, date_time (FIT seconds, not converted), plain uints and
    bitfields therefore stay the raw integer as float64;
  * strings: ``str`` up to the first NUL (the whole field when there is none), UTF-8 with
    ``errors="replace"``; ``None`` when that is empty;
  * multi-element fields and every ``byte`` field are omitted, except
    ``developer_data_id.application_id`` (207/1): a lower-case canonical UUID string of the 16
    bytes in file order (``str(uuid.UUID(bytes=...))``);
  * a field absent from a message that another message of the same type has: NaN (``None``
    for string columns). Numeric columns are float64, string columns object.

- Components: **only** ``record.compressed_speed_distance`` (20/8) is expanded, into ``speed``
  (6, first 12 bits / 100 m/s) and ``distance`` (5, next 12 bits accumulated across records as
  the FIT SDK accumulates them, / 16 m). A natively written 5 or 6 in the same message wins.
  No other component is expanded (so ``enhanced_speed`` 73 / ``enhanced_altitude`` 78 appear only
  when the file writes them; :mod:`analyzer.fit.activity` falls back to the base field).
- Compressed-timestamp headers: the decoder reconstructs ``timestamp`` (253) as FIT seconds from
  the last full timestamp seen in any message (as fitparse does).
- Developer fields are columns named ``"dev:{developer_data_index}:{field_definition_number}"``:
  single-element numeric values with the field description's scale (206/6, 1 when invalid or 0)
  and offset (206/7, 0 when invalid) applied as ``raw / scale - offset`` (float64); strings as
  ``str``; multi-element values omitted. A developer field used before any description of it is
  a :class:`~analyzer.errors.FitFormatError`.
- A native field whose size is not a multiple of its base type's size (COROS writes a 1-byte
  ``event.data``, a uint32) is read as a ``byte`` field of that size, as garmin-fit-sdk (which
  reads it as uint8 elements) and fitdecode (``BASE_TYPE_BYTE``) do, so it is omitted like every
  byte field; the message and all its other fields are kept and :func:`misaligned_note` goes
  into :attr:`FitMessages.notes`.
- Errors: empty payload or < 12 bytes or no ``.FIT`` signature (also of a chained file's
  header) -> FitHeaderError; header/file CRC mismatch -> FitCRCError; payload ends early ->
  FitTruncatedError; anything else that breaks the protocol (undefined local message type,
  developer field without description) -> FitFormatError. A header CRC of 0 is accepted (not
  checked). Decoders raise these; :mod:`analyzer.fit.recover` decides what of a damaged
  payload is kept (:attr:`FitMessages.partial`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache

import numpy as np
import pandas as pd

#: FIT global message numbers used downstream.
FILE_ID = 0
SPORT = 12
SESSION = 18
LAP = 19
RECORD = 20
EVENT = 21
DEVICE_INFO = 23
ACTIVITY = 34
FIELD_DESCRIPTION = 206
DEVELOPER_DATA_ID = 207

#: Messages every decoder must supply when present.
WANTED_MESSAGES: frozenset[int] = frozenset(
    {
        FILE_ID,
        SPORT,
        SESSION,
        LAP,
        RECORD,
        DEVICE_INFO,
        ACTIVITY,
        FIELD_DESCRIPTION,
        DEVELOPER_DATA_ID,
    }
)

#: What :meth:`FitMessages.table` copies for a message the file lacks.
_EMPTY = pd.DataFrame()

#: Seconds between the Unix epoch and the FIT epoch (1989-12-31T00:00:00Z).
FIT_EPOCH_S = 631065600


@dataclass(frozen=True)
class Partial:
    """Where and why a damaged payload was read only in part.

    Attributes
    ----------
    reason : str
        What is wrong, as the decoder's error says it (``"file ends inside a data message"``).
    offset : int
        Byte offset of the damage in the payload [bytes].
    kind : str
        The error kind (:attr:`analyzer.errors.InvalidFitFile.kind`: truncated, crc, format...).
    consequence : str
        What was kept, e.g. ``"the messages before it were kept"``.
    """

    reason: str
    offset: int
    kind: str
    consequence: str

    def __str__(self) -> str:
        return f"{self.reason} at byte {self.offset}; {self.consequence}"


def misaligned_note(num: int, mesg_num: int, size: int, base_name: str) -> str:
    """The note of a native field read as bytes because its size does not fit its base type."""
    return (
        f"field {num} of message {mesg_num} read as bytes "
        f"(size {size} is not a multiple of {base_name})"
    )


class Raw:
    """One message table as a decoder assembled it, before pandas (:meth:`frame` is the table).

    Reading a few columns of a small table from here costs a fraction of building its
    DataFrame (:meth:`analyzer.fit.columns.Columns.of`).

    Parameters
    ----------
    keys : list
        The table's columns, in order.
    block : numpy.ndarray
        float64, ``(len(keys), rows)``: the numeric columns' values (the rows of string columns
        are not read).
    objects : dict
        Key -> object array of a string column (``str`` or None).
    rows : int
        Number of messages.
    """

    __slots__ = ("keys", "block", "objects", "rows")

    def __init__(self, keys: list, block: np.ndarray, objects: dict, rows: int):
        self.keys = keys
        self.block = block
        self.objects = objects
        self.rows = rows

    def frame(self) -> pd.DataFrame:
        """The table: float64 columns from the block (not copied), object columns."""
        if not self.keys:
            return pd.DataFrame()
        frame = pd.DataFrame(self.block.T, columns=self.keys, copy=False)
        for key in self.keys:
            if key in self.objects:
                frame[key] = pd.Series(self.objects[key], dtype=object)
        return frame


class Tables(Mapping):
    """Message tables by global message number, built on first access.

    Parameters
    ----------
    built : dict
        Message number -> its table, or its :class:`Raw` columns (made a table when read).
    later : dict
        Message number -> a function building its table or :class:`Raw` (called once, on
        first access). A message number is in one of the two, never in both; iteration
        follows ``built``, then ``later``.
    """

    def __init__(self, built: dict[int, pd.DataFrame | Raw], later: dict[int, Callable]):
        self._built = built
        self._later = later
        self._keys = [*built, *later]

    def _get(self, mesg_num: int) -> pd.DataFrame | Raw:
        table = self._built.get(mesg_num)
        if table is None:
            build = self._later.pop(mesg_num)  # (KeyError for a message the file lacks)
            table = self._built[mesg_num] = build()
        return table

    def __getitem__(self, mesg_num: int) -> pd.DataFrame:
        table = self._get(mesg_num)
        if isinstance(table, Raw):
            table = self._built[mesg_num] = table.frame()
        return table

    def raw(self, mesg_num: int) -> Raw | None:
        """The :class:`Raw` columns of a message's table while its DataFrame is not built;
        None when it is, or when the file has no such message."""
        if mesg_num not in self:
            return None
        table = self._get(mesg_num)
        return table if isinstance(table, Raw) else None

    def __iter__(self) -> Iterator[int]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def __contains__(self, mesg_num: object) -> bool:
        return mesg_num in self._built or mesg_num in self._later

    def __reduce__(self):
        # (pickled as the plain dict of every table)
        return dict, (dict(self.items()),)


@dataclass
class FitMessages:
    """Decoded messages of one payload, before the data contract (see the module docstring)."""

    name: str
    tables: Mapping[int, pd.DataFrame] = field(default_factory=dict)
    decoder: str = "fitparse"
    #: What was read otherwise than the file declares (one line each, e.g. a misaligned field).
    notes: list[str] = field(default_factory=list)
    #: The damage when only part of the payload could be read (see :mod:`analyzer.fit.recover`).
    partial: Partial | None = None

    def table(self, mesg_num: int) -> pd.DataFrame:
        """The messages of one type; an empty frame when the file has none."""
        t = self.tables.get(mesg_num)
        # (a shallow copy: a new frame a third as dear as pd.DataFrame(); copy on write keeps
        # the template empty)
        return _EMPTY.copy(deep=False) if t is None else t


@cache
def profile_scale_offset(mesg_num: int, field_num: int) -> tuple[float, float]:
    """Scale and offset of a native field in the Garmin FIT SDK profile.

    Returns ``(1, 0)`` for fields the profile does not know and for fields whose profile entry
    lists several component scales (those are byte arrays, omitted by the spec anyway).
    """
    from garmin_fit_sdk import Profile

    fld = Profile["messages"].get(mesg_num, {}).get("fields", {}).get(field_num)
    if not fld or len(fld["scale"]) != 1:
        return 1, 0
    return fld["scale"][0], fld["offset"][0]
