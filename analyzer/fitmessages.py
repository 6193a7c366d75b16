"""The one interface between a FIT *decoder* and the data contract.

A decoder (fitparse, or the project's vectorised decoder) turns a payload's bytes into
:class:`FitMessages`; :func:`analyzer.fit.build_activity` turns that into an
:class:`~analyzer.fit.Activity` in the contract's columns and units. Keeping unit conversion
out of the decoders is what lets a faster decoder replace fitparse without touching callers,
and lets a test assert that both produce the same Activity.

Specification of :attr:`FitMessages.tables` (every decoder must follow it exactly):

- Keys are global message numbers. A decoder must supply every message in
  :data:`WANTED_MESSAGES` that the file contains; it may omit all others.
- One row per message, in file order (chained FIT files: in order, one after another).
- Native field columns are named by the field definition number (``int``).
- Values of native fields:

  * integer fields with a scale or offset in the FIT profile: ``raw / scale - offset`` as float64;
  * every other integer field (enum, date_time, plain uints, bitfields): the raw integer as
    float64 (exact below 2**53);
  * strings: ``str`` (``None`` when empty or invalid);
  * byte arrays: only ``developer_data_id.application_id`` (207/1), as a lower-case canonical
    UUID string; other array fields may be omitted;
  * the base type's invalid value, or a field absent from a message that another message of the
    same type has: NaN (``None`` for strings).

- Components the profile marks as *accumulated* are expanded by the decoder:
  ``record.compressed_speed_distance`` (8) into ``speed`` (6) and an accumulated ``distance`` (5).
  Other component expansions (speed→enhanced_speed, altitude→enhanced_altitude) are optional:
  :mod:`analyzer.fit` falls back from the enhanced field to the base field itself.
- Compressed-timestamp headers: the decoder reconstructs ``timestamp`` (253) as FIT seconds.
- Developer fields are columns named ``"dev:{developer_data_index}:{field_definition_number}"``,
  with the field description's scale and offset applied (float64), or ``str`` for strings.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

#: FIT global message numbers used downstream.
FILE_ID = 0
SPORT = 12
SESSION = 18
LAP = 19
RECORD = 20
EVENT = 21
DEVICE_INFO = 23
FIELD_DESCRIPTION = 206
DEVELOPER_DATA_ID = 207

#: Messages every decoder must supply when present.
WANTED_MESSAGES: frozenset[int] = frozenset(
    {FILE_ID, SPORT, SESSION, LAP, RECORD, DEVICE_INFO, FIELD_DESCRIPTION, DEVELOPER_DATA_ID}
)

#: Seconds between the Unix epoch and the FIT epoch (1989-12-31T00:00:00Z).
FIT_EPOCH_S = 631065600


@dataclass
class FitMessages:
    """Decoded messages of one payload, before the data contract (see the module docstring)."""

    name: str
    tables: dict[int, pd.DataFrame] = field(default_factory=dict)
    decoder: str = "fitparse"

    def table(self, mesg_num: int) -> pd.DataFrame:
        """The messages of one type; an empty frame when the file has none."""
        return self.tables.get(mesg_num, pd.DataFrame())
