"""One exception hierarchy for the whole library.

The CLI catches :class:`AnalyzerError` in one place, prints ``Error: <message>`` and exits
non-zero. Library code raises the most specific subclass and puts the file name, the byte
offset (where there is one) and what to do next into the message.
"""

from __future__ import annotations


class AnalyzerError(Exception):
    """Base class of every error this package raises on purpose."""


def _located(err: Exception, name: str, reason: str, offset: int | None) -> str:
    """Keep ``name``, ``reason`` and ``offset`` on ``err``; its message names all three."""
    err.name, err.reason, err.offset = name, reason, offset
    where = f" at byte {offset}" if offset is not None else ""
    return f"{name}: {reason}{where}"


class InvalidFitFile(AnalyzerError):
    """A payload is not a readable FIT file.

    Parameters
    ----------
    name : str
        The file (or archive member) the payload came from.
    reason : str
        One line saying what is wrong, e.g. ``"file CRC mismatch (computed 0xA1D5, stored 0xB1D5)"``.
    offset : int, optional
        Byte offset at which the problem was found.
    """

    kind = "invalid"

    def __init__(self, name: str, reason: str, offset: int | None = None):
        super().__init__(_located(self, name, reason, offset))


class FitHeaderError(InvalidFitFile):
    """The 12/14-byte FIT file header is missing or malformed (not a FIT file)."""

    kind = "header"


class FitCRCError(InvalidFitFile):
    """The header or file CRC does not match the bytes."""

    kind = "crc"


class FitTruncatedError(InvalidFitFile):
    """The file ends before the length its header declares, or mid-message."""

    kind = "truncated"


class FitFormatError(InvalidFitFile):
    """A message or definition breaks the FIT protocol (undefined local type, bad field size...)."""

    kind = "format"


class DecoderDeclined(AnalyzerError):
    """The fast decoder does not support something in this file; the caller falls back to fitparse."""

    def __init__(self, name: str, reason: str):
        self.name = name
        self.reason = reason
        super().__init__(f"{name}: fast decoder declined: {reason}")


class UnsupportedExport(AnalyzerError):
    """A path is neither a FIT file, a .fit.gz, a folder nor a zip we know how to read."""


class InvalidActivityXml(AnalyzerError):
    """A TCX or GPX file that cannot be used: not well-formed, unsafe XML (a DTD or entities),
    not TCX/GPX, or without any timed point."""


class InvalidHealthExport(InvalidActivityXml):
    """An Apple Health ``export.xml`` that cannot be read (from some point on): not well-formed
    (a damaged or cut-off tail), unsafe (entity declarations, external entities or an external
    DTD), or not an Apple Health export.

    Parameters
    ----------
    name : str
        The file (or archive member).
    reason : str
        One line saying what is wrong.
    offset : int, optional
        Byte offset in the (uncompressed) XML where the problem was found.
    """

    def __init__(self, name: str, reason: str, offset: int | None = None):
        super().__init__(_located(self, name, reason, offset))


class UnsafeArchive(AnalyzerError):
    """An archive breaks a safety limit (size, compression ratio, nesting depth, member count)."""


class FileProblem(AnalyzerError):
    """A file the user named cannot be read or written: a folder, a FIFO or device, too large,
    its folder missing, or the write refused (disk full, file-size limit); nothing half-written
    is left behind."""


class FileTimeout(AnalyzerError):
    """Reading one file took longer than the per-file time limit; that file fails alone."""


class StoreError(AnalyzerError):
    """The database cannot be opened or is inconsistent."""


class NotFound(AnalyzerError):
    """An athlete, run or activity asked for is not in the store."""


class NotEnoughData(AnalyzerError):
    """There is too little data for the computation asked for (scoring, training, trends)."""


class ModelFileError(AnalyzerError):
    """A model JSON is malformed, has unknown features or the wrong format version."""


class InvalidInput(AnalyzerError):
    """A value someone typed breaks a rule (a command-line option, a form field of the local
    app, a diary row; :mod:`analyzer._base.values` checks them all), or an upload is too large;
    nothing is written."""


class DiaryError(InvalidInput):
    """A diary entry (exercise session, pain entry, diary CSV row) breaks a rule; nothing is written."""


class UploadTooLarge(InvalidInput):
    """An upload to the local app passes its size limit; everything it sent is removed."""
