"""Find the activity payloads in whatever a runner points at: files, folders and export archives.

:func:`iter_payloads` walks any mix of paths and yields, one at a time, a :class:`Payload`
(``name`` + ``data`` bytes) for every FIT, TCX or GPX file it finds, and a :class:`SourceProblem`
for every member it skips (not an activity file) or cannot read (corrupt or unsafe archive). A
file of a format we cannot use that is named on the command line is a failure whose reason says
what to export instead (:func:`unusable_reason`); inside folders and exports such files (CSV
tables, JSON, Apple Health's export.xml...) are skipped with the same reason. It understands:

- ``.fit``, ``.tcx`` and ``.gpx`` files in any letter case, and gzip-compressed ``.fit.gz``,
  ``.tcx.gz`` and ``.gpx.gz`` files (:func:`payload_format` tells the worker which reader);
- folders, walked recursively in sorted order;
- ``.zip`` archives, including archives inside archives. This covers Garmin Connect's
  "Export your data" (``DI_CONNECT/DI-Connect-Uploaded-Files/UploadedFiles_*.zip``), Garmin's
  single-activity "Export original" (``<id>.zip`` holding ``<id>_ACTIVITY.fit``) and Strava's
  bulk export (``activities/*.fit.gz`` beside CSV, GPX and TCX files).

Archive members are decompressed in memory (a nested archive larger than
:attr:`Limits.spool_bytes` goes to an anonymous temporary file that has no name on disk), never
extracted under their own names, and always within :class:`Limits`: per-member and total
uncompressed size, compression ratio, nesting depth and member count. Breaking a limit yields a
``SourceProblem`` whose ``error`` is an :class:`~analyzer.errors.UnsafeArchive`; the rest of the
export is still read. Central-directory entries whose member bytes overlap (one stored member
listed hundreds of times, nested: a small zip expanding to millions of payloads) are refused
outright, and the total number of files and members and the bytes decompressed are bounded per
import, across every archive and folder, not only per archive.

Folders are walked without following symbolic links out of the folder given (a link to
``/etc/shadow`` is listed, not read), and special files (FIFOs, devices, sockets; also a link to
``/dev/zero``) are never opened: each such path, and each dangling link, is a skipped
``SourceProblem`` whose reason starts with :data:`~analyzer.ingest.folders.NOT_READ`, so it is listed in the import log
and the summary instead of vanishing. Payload names show where a member came from, e.g.
``export.zip!DI_CONNECT/DI-Connect-Uploaded-Files/UploadedFiles_0-_Part1.zip!123_ACTIVITY.fit``.
"""

from __future__ import annotations

import contextlib
import io
import os
import stat
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from analyzer._files import (
    GZIP_MAGIC,
    MAX_PAYLOAD_BYTES,
    MAX_RATIO,
    RATIO_FLOOR_BYTES,
    gunzip,
    size_text,
)
from analyzer.errors import AnalyzerError, UnsafeArchive, UnsupportedExport
from analyzer.ingest.folders import NOT_READ, open_regular, special, walk_folder

MiB = 1 << 20
GiB = 1 << 30

#: Separator between an archive's name and a member's name in payload names.
MEMBER_SEP = "!"

_CHUNK = 1 * MiB
#: Size of a zip local file header before its name and extra field [bytes] (APPNOTE 4.3.7).
_LOCAL_HEADER = 30


@dataclass(frozen=True)
class Limits:
    """Safety limits applied while reading archives and compressed files.

    Attributes
    ----------
    max_member_bytes : int
        Largest uncompressed FIT payload [bytes]. The biggest real activity files are tens of MB.
    max_archive_bytes : int
        Largest uncompressed archive nested inside another archive [bytes] (Garmin splits its
        account export into parts of a few GB at most).
    max_total_bytes : int
        Budget for everything decompressed during one :func:`iter_payloads` call [bytes].
    max_ratio : float
        Largest uncompressed/compressed size ratio of one member. FIT files compress about
        3-10x; a zip bomb compresses about 1000x.
    ratio_floor_bytes : int
        Members smaller than this [bytes] are exempt from the ratio check (tiny files can
        compress extremely well and are harmless).
    max_depth : int
        Deepest archive nesting accepted: 1 = a zip given on the command line, 2 = a zip
        inside it, and so on.
    max_members : int
        Most entries one archive may list.
    max_import_members : int
        Most files and archive members one import may read, counted across every folder and
        (nested) archive; a Garmin account export of a decade holds tens of thousands.
    spool_bytes : int
        Nested archives larger than this [bytes] are decompressed into an anonymous temporary
        file instead of memory.
    """

    max_member_bytes: int = MAX_PAYLOAD_BYTES
    max_archive_bytes: int = 8 * GiB
    max_total_bytes: int = 64 * GiB
    max_ratio: float = MAX_RATIO
    ratio_floor_bytes: int = RATIO_FLOOR_BYTES
    max_depth: int = 4
    max_members: int = 250_000
    max_import_members: int = 1_000_000
    spool_bytes: int = 64 * MiB


@dataclass(frozen=True, slots=True)
class Payload:
    """The bytes of one activity file (FIT, TCX or GPX) and where they came from."""

    name: str
    data: bytes


@dataclass(frozen=True, slots=True)
class SourceProblem:
    """A member that yields no payload.

    Attributes
    ----------
    name : str
        The file or archive member concerned.
    reason : str
        One line saying why.
    outcome : str
        ``"skipped"`` (not an activity file: JSON, CSV...) or ``"failed"`` (unreadable,
        unsafe, or a file of an unusable format named on the command line).
    error : AnalyzerError or None
        The error behind a failure (an :class:`UnsafeArchive` for limit breaches).
    """

    name: str
    reason: str
    outcome: str
    error: AnalyzerError | None = None


Item = Payload | SourceProblem


#: Activity formats read as they are, and gzip-compressed (Strava's bulk export gzips them).
PLAIN_KINDS = ("fit", "tcx", "gpx")
GZ_KINDS = tuple(f"{k}.gz" for k in PLAIN_KINDS)
ACTIVITY_KINDS = PLAIN_KINDS + GZ_KINDS


def classify(name: str) -> str | None:
    """What a file name says it holds: one of :data:`ACTIVITY_KINDS`, ``"zip"`` or None."""
    lower = name.lower()
    base = lower.rsplit("/", 1)[-1]
    if base.startswith("._"):  # macOS AppleDouble metadata, not the file it shadows
        return None
    for kind in ACTIVITY_KINDS + ("zip",):
        if lower.endswith(f".{kind}"):
            return kind
    return None


def payload_format(name: str) -> str:
    """The format of a payload by its name: ``"tcx"``, ``"gpx"`` or ``"fit"`` (the rest)."""
    kind = classify(name.rsplit(MEMBER_SEP, 1)[-1]) or "fit"
    return kind.removesuffix(".gz") if kind in ACTIVITY_KINDS else "fit"


from analyzer.ingest.formats import APPLE_HEALTH, UNUSABLE, unusable_reason  # noqa: E402, F401


def check_paths(paths: Iterable[str | os.PathLike]) -> list[Path]:
    """Return the paths as :class:`Path` objects, raising if one does not exist.

    Raises
    ------
    UnsupportedExport
        When a path is neither a file nor a folder.
    """
    out = []
    for p in paths:
        path = Path(p)
        try:
            mode = path.stat().st_mode  # a path given by name: a link to a file is followed
        except OSError:
            raise UnsupportedExport(f"{p}: no such file or folder") from None
        if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
            raise UnsupportedExport(f"{p}: {special(mode)}, not a file or folder: not opened")
        out.append(path)
    return out


def iter_payloads(
    paths: Iterable[str | os.PathLike],
    *,
    limits: Limits = Limits(),  # noqa: B008 - immutable
    on_discover: Callable[[int], None] | None = None,
    named: bool = True,
) -> Iterator[Item]:
    """Yield every FIT payload (and every skipped or unreadable member) under ``paths``.

    Parameters
    ----------
    paths : iterable of path-like
        Files (``.fit``, ``.fit.gz``, ``.zip``) and folders, in any mix.
    limits : Limits
        Safety limits for archives and compressed files.
    on_discover : callable, optional
        Called with the number of FIT-looking files found each time a folder is listed or an
        archive opened (for progress totals; nested archives add theirs when opened).
    named : bool
        Whether the user named ``paths`` (a file that cannot be used then fails, with what to
        export instead); ``False`` for files found in a folder, which are skipped instead.

    Yields
    ------
    Payload or SourceProblem
        One at a time; only the current payload (plus the archives it sits in) is in memory.

    Raises
    ------
    UnsupportedExport
        At call time, when a path does not exist.
    """
    checked = check_paths(paths)
    return _Walker(limits, on_discover, named).walk(checked)


class _BudgetExceeded(UnsafeArchive):
    """The total byte budget is spent: stop reading the current top-level path."""


class _Walker:
    """The state of one :func:`iter_payloads` call: limits, the byte budget, progress hook."""

    def __init__(
        self, limits: Limits, on_discover: Callable[[int], None] | None, named: bool = True
    ):
        self.limits = limits
        self.named = named
        self.on_discover = on_discover or (lambda n: None)
        self.total = 0
        self.members = 0

    # -- budget ---------------------------------------------------------------------------
    def _spend(self, n: int, name: str) -> None:
        self.total += n
        if self.total > self.limits.max_total_bytes:
            raise _BudgetExceeded(
                f"{name}: unsafe archive: more than {_size(self.limits.max_total_bytes)} "
                "decompressed in one import (total size limit)"
            )

    def _count(self, n: int, name: str) -> None:
        self.members += n
        if self.members > self.limits.max_import_members:
            raise _BudgetExceeded(
                f"{name}: unsafe archive: more than {self.limits.max_import_members:,} files and "
                "archive members in one import (total member limit)"
            )

    # -- top level ------------------------------------------------------------------------
    def walk(self, paths: list[Path]) -> Iterator[Item]:
        for path in paths:
            if path.is_dir():
                files = list(walk_folder(path))
                ok = [p for p, why in files if why is None]
                self.on_discover(sum(classify(p.name) in ACTIVITY_KINDS for p in ok))
                for f, why in files:
                    if why is not None:
                        yield SourceProblem(str(f), NOT_READ + why, "skipped")
                        continue
                    yield from self._file(f)
                    if self.members > self.limits.max_import_members:
                        break  # (reported once, by the file that broke the limit)
            elif self.named and classify(path.name) is None and not path.name.startswith("._"):
                # Named on the command line: say clearly that it cannot be used, and why.
                reason = unusable_reason(path.name)
                yield SourceProblem(str(path), reason, "failed", UnsupportedExport(reason))
            else:
                if classify(path.name) in ACTIVITY_KINDS:
                    self.on_discover(1)
                yield from self._file(path)

    def _file(self, path: Path) -> Iterator[Item]:
        name = str(path)
        kind = classify(path.name)
        try:
            self._count(1, name)
            if kind in PLAIN_KINDS:
                limit = self.limits.max_member_bytes
                with open_regular(path) as fh:
                    size = os.fstat(fh.fileno()).st_size
                    data = fh.read(limit + 1) if size <= limit else b""
                if size > limit or len(data) > limit:
                    raise UnsafeArchive(
                        f"{name}: {_size(max(size, len(data)))} is larger than the FIT file limit "
                        f"({_size(limit)})"
                    )
                yield self._payload(name, data)
            elif kind in GZ_KINDS:
                with open_regular(path) as fh:
                    yield Payload(name, self._gunzip(fh, os.fstat(fh.fileno()).st_size, name))
            elif kind == "zip":
                with open_regular(path) as fh:
                    yield from self._zip(fh, name, depth=1)
            else:
                yield _skip(name)
        except AnalyzerError as exc:
            yield SourceProblem(name, _reason(exc, name), "failed", exc)
        except OSError as exc:
            yield SourceProblem(name, f"cannot read the file ({exc.strerror or exc})", "failed")

    # -- gzip -----------------------------------------------------------------------------
    def _gunzip(self, fh: IO[bytes], compressed: int, name: str) -> bytes:
        lim = self.limits
        try:
            return gunzip(
                fh,
                compressed,
                name,
                limit=lim.max_member_bytes,
                max_ratio=lim.max_ratio,
                ratio_floor=lim.ratio_floor_bytes,
                spend=self._spend,
            )
        except (OSError, EOFError, zlib.error) as exc:
            raise UnsupportedExport(f"{name}: not a readable gzip file ({exc})") from None

    def _payload(self, name: str, data: bytes) -> Payload:
        """A payload; one whose bytes are gzip whatever its name (a ``.fit`` that is really a
        ``.fit.gz``) is decompressed here, within the same limits as every other."""
        if data[:2] == GZIP_MAGIC:
            with contextlib.suppress(UnsupportedExport):  # not gzip after all: the decoder says
                data = self._gunzip(io.BytesIO(data), len(data), name)
        return Payload(name, data)

    def _check_ratio(self, uncompressed: int, compressed: int, name: str) -> None:
        lim = self.limits
        if uncompressed > lim.ratio_floor_bytes and uncompressed > lim.max_ratio * max(
            compressed, 1
        ):
            raise UnsafeArchive(
                f"{name}: unsafe archive: compression ratio above {lim.max_ratio:g}:1 "
                f"({_size(uncompressed)} from {_size(compressed)}; looks like a zip bomb)"
            )

    # -- zip ------------------------------------------------------------------------------
    def _zip(self, fh: IO[bytes], name: str, depth: int) -> Iterator[Item]:
        lim = self.limits
        if depth > lim.max_depth:
            raise UnsafeArchive(
                f"{name}: unsafe archive: nested deeper than {lim.max_depth} archives "
                "(nesting depth limit)"
            )
        try:
            zf = zipfile.ZipFile(fh)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
            raise UnsupportedExport(f"{name}: not a readable zip archive ({exc})") from None
        with zf:
            infos = [i for i in zf.infolist() if not i.is_dir()]
            if len(infos) > lim.max_members:
                raise UnsafeArchive(
                    f"{name}: unsafe archive: {len(infos)} members, more than the limit of "
                    f"{lim.max_members}"
                )
            _check_overlap(zf.infolist(), name)
            self._count(len(infos), name)
            self.on_discover(sum(classify(i.filename) in ACTIVITY_KINDS for i in infos))
            for info in infos:
                member = f"{name}{MEMBER_SEP}{info.filename}"
                try:
                    yield from self._member(zf, info, member, depth)
                except _BudgetExceeded:
                    raise  # the rest of the export would fail the same way: one message
                except AnalyzerError as exc:
                    yield SourceProblem(member, _reason(exc, member), "failed", exc)
                except (zipfile.BadZipFile, OSError, EOFError, zlib.error, ValueError) as exc:
                    yield SourceProblem(member, f"cannot decompress the member ({exc})", "failed")

    def _member(self, zf: zipfile.ZipFile, info: zipfile.ZipInfo, member: str, depth: int):
        kind = classify(info.filename)
        if kind is None or info.filename.startswith("__MACOSX/"):
            yield _skip(member)
            return
        lim = self.limits
        if info.flag_bits & 0x1:
            raise UnsupportedExport(f"{member}: the member is encrypted")
        limit = lim.max_archive_bytes if kind == "zip" else lim.max_member_bytes
        if info.file_size > limit:
            raise UnsafeArchive(
                f"{member}: unsafe archive: {_size(info.file_size)} uncompressed, more than the "
                f"{_size(limit)} per-member limit"
            )
        self._check_ratio(info.file_size, info.compress_size, member)
        if kind in PLAIN_KINDS:
            yield self._payload(member, self._read(zf, info, member, limit))
        elif kind in GZ_KINDS:
            raw = self._read(zf, info, member, limit)
            yield Payload(member, self._gunzip(io.BytesIO(raw), len(raw), member))
        else:
            if depth + 1 > lim.max_depth:  # refuse before decompressing anything
                raise UnsafeArchive(
                    f"{member}: unsafe archive: nested deeper than {lim.max_depth} archives "
                    "(nesting depth limit)"
                )
            with self._spool(zf, info, member, limit) as inner:
                yield from self._zip(inner, member, depth + 1)

    def _read(self, zf: zipfile.ZipFile, info: zipfile.ZipInfo, member: str, limit: int) -> bytes:
        out = io.BytesIO()
        self._copy(zf, info, member, limit, out)
        return out.getvalue()

    def _spool(self, zf: zipfile.ZipFile, info: zipfile.ZipInfo, member: str, limit: int):
        # SpooledTemporaryFile stays in memory up to spool_bytes, then becomes an unnamed temp
        # file (unlinked on creation on POSIX): large nested exports never sit whole in RAM.
        out = tempfile.SpooledTemporaryFile(max_size=self.limits.spool_bytes)  # noqa: SIM115
        try:
            self._copy(zf, info, member, limit, out)
        except BaseException:
            out.close()
            raise
        out.seek(0)
        return out

    def _copy(self, zf, info, member: str, limit: int, out: IO[bytes]) -> None:
        n = 0
        with zf.open(info) as src:
            while chunk := src.read(_CHUNK):
                n += len(chunk)
                self._spend(len(chunk), member)
                if n > limit:  # zipfile stops at the declared size; this guards the budget anyway
                    raise UnsafeArchive(f"{member}: unsafe archive: larger than {_size(limit)}")
                self._check_ratio(n, info.compress_size, member)
                out.write(chunk)


def _check_overlap(infos: list[zipfile.ZipInfo], name: str) -> None:
    """Refuse an archive whose entries share bytes (Python's zipfile does not).

    Each entry occupies at least its local header, its name and its compressed data from its
    header offset on; in a well-formed zip these spans are disjoint. Several central-directory
    entries pointing at one member are the trick of an amplification bomb.
    """
    spans = sorted(
        (
            (i.header_offset, i.header_offset + _LOCAL_HEADER + _name_size(i) + i.compress_size, i)
            for i in infos
        ),
        key=lambda span: span[0],
    )  # (sorted by offset; equal offsets stay in directory order)
    for (_, end, first), (start, _, second) in zip(spans, spans[1:], strict=False):
        if start < end:
            raise UnsafeArchive(
                f"{name}: unsafe archive: entries {first.filename!r} and {second.filename!r} "
                f"overlap at byte {start} (one member listed more than once: an amplification "
                "zip bomb); not read"
            )


def _name_size(info: zipfile.ZipInfo) -> int:
    """Bytes of the member's name in its header (UTF-8 when flagged, else cp437)."""
    encoding = "utf-8" if info.flag_bits & 0x800 else "cp437"
    return len(info.orig_filename.encode(encoding, errors="replace"))


def _skip(name: str) -> SourceProblem:
    base = name.rsplit(MEMBER_SEP, 1)[-1].rsplit("/", 1)[-1]
    if base.startswith("._") or "__MACOSX/" in name:
        return SourceProblem(name, "macOS metadata (AppleDouble), not an activity", "skipped")
    return SourceProblem(name, unusable_reason(name), "skipped")


def _reason(exc: AnalyzerError, name: str) -> str:
    """The message of ``exc`` without a leading ``name: `` (the name is reported beside it)."""
    msg = str(exc)
    prefix = f"{name}: "
    return msg[len(prefix) :] if msg.startswith(prefix) else msg


_size = size_text
