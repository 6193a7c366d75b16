"""A vectorised FIT decoder: the same FitMessages as the fitparse path, many times faster.

The message headers are walked by a compiled walk (``_cwalk.c``, built at install) where it
was built, else in Python (:mod:`analyzer.fit.fast._walk`; a run of same-type data messages is
skipped without looking inside); the numeric fields of each message type are decoded by the
compiled ``columns()`` into one float64 block (:mod:`analyzer.fit.fast._bulk`), else per
definition with numpy structured dtypes (:mod:`analyzer.fit.fast._columns`); the CRC likewise
(compiled, else a vectorised table method, :mod:`analyzer.fit.fast._crc`).
``ANALYZER_PURE_WALK=1`` turns every compiled part off.

What it does not reproduce it declines with :class:`~analyzer.errors.DecoderDeclined`, and
:func:`analyzer.fit.activity.decode` then falls back to fitparse.
"""

from __future__ import annotations

import struct

from analyzer.errors import AnalyzerError, DecoderDeclined
from analyzer.fit.fast._columns import tables
from analyzer.fit.fast._crc import crc16
from analyzer.fit.fast._walk import walk
from analyzer.fit.messages import FitMessages

__all__ = ["DECODER_NAME", "crc16", "decode"]

#: Value of :attr:`FitMessages.decoder` for payloads decoded here.
DECODER_NAME = "fast"


def decode(data: bytes, name: str) -> FitMessages:
    """Decode one FIT payload (possibly several chained FIT files).

    Parameters
    ----------
    data : bytes
        The whole payload.
    name : str
        Where the payload came from; used in error messages.

    Returns
    -------
    FitMessages
        Tables of the messages in :data:`analyzer.fit.messages.WANTED_MESSAGES`, exactly as
        :func:`analyzer.fit.reference.decode` builds them.

    Raises
    ------
    FitHeaderError, FitCRCError, FitTruncatedError, FitFormatError
        For a broken payload, with the byte offset of the problem.
    DecoderDeclined
        For a valid-looking payload with a feature this decoder does not reproduce.
    """
    data = bytes(data)
    try:
        found = walk(data, name)
        result = tables(found, data, name)
    except AnalyzerError:
        raise
    except (ValueError, IndexError, KeyError, TypeError, OverflowError, struct.error) as exc:
        # A safety net: a bug here must not look like a crash to the importer.
        raise DecoderDeclined(name, f"internal error ({type(exc).__name__}: {exc})") from None
    return FitMessages(name=name, tables=result, decoder=DECODER_NAME, notes=found.notes)
