"""FIT decoding: one payload's bytes → an :class:`~analyzer.fit.activity.Activity`.

Takes the bytes of one FIT file; gives its records in the data contract's columns and units
(:mod:`analyzer.schema`), its laps, session and device metadata, and which sensor sent the
dynamics. Two decoders produce the same :class:`~analyzer.fit.messages.FitMessages`:
:mod:`~analyzer.fit.fast` (vectorised numpy) and :mod:`~analyzer.fit.reference` (fitparse, the
reference and fallback); :mod:`~analyzer.fit.activity` converts units once. The FIT writer the
simulator uses (:mod:`~analyzer.fit.writer`) lives here too. Depends on nothing above it.
"""

from typing import TYPE_CHECKING

from analyzer._base.lazy import exports

_EXPORTS = {
    "read_fit": "activity",
    "decode": "activity",
    "build_activity": "activity",
    "Activity": "activity",
    "STRYD_APP_IDS": "activity",
    "FitMessages": "messages",
    "encode_run": "writer",
    "write_fit": "writer",
    "Device": "writer",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = exports(__name__, _EXPORTS)

if TYPE_CHECKING:  # what editors and type checkers see (the same names as _EXPORTS)
    from analyzer.fit.activity import STRYD_APP_IDS, Activity, build_activity, decode, read_fit
    from analyzer.fit.messages import FitMessages
    from analyzer.fit.writer import Device, encode_run, write_fit
