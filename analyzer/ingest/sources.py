"""Find the activity payloads in whatever a runner points at: files, folders and export archives.

:func:`iter_payloads` walks any mix of paths and yields, one at a time, a :class:`Payload`
(``name`` + ``data`` bytes) for every FIT, TCX or GPX file it finds, and a :class:`SourceProblem`
for every member it skips (not an activity file) or cannot read (corrupt or unsafe archive). A
file of a format we cannot use that is named on the command line is a failure whose reason says
what to export instead (:func:`unusable_reason`); inside folders and exports such files (CSV
tables, JSON...) are skipped with the same reason. It understands:

- ``.fit``, ``.tcx`` and ``.gpx`` files in any letter case, and gzip-compressed ``.fit.gz``,
  ``.tcx.gz`` and ``.gpx.gz`` files (:func:`payload_format` tells the worker which reader);
- folders, walked recursively in sorted order;
- ``.zip`` archives, including archives inside archives. This covers Garmin Connect's
  "Export your data" (``DI_CONNECT/DI-Connect-Uploaded-Files/UploadedFiles_*.zip``), Garmin's
  single-activity "Export original" (``<id>.zip`` holding ``<id>_ACTIVITY.fit``) and Strava's
  bulk export (``activities/*.fit.gz`` beside CSV, GPX and TCX files);
- Apple Health exports: an ``export.xml`` (alone, in ``apple_health_export/`` or in
  ``export.zip``) is streamed, never held, and yields one payload per running workout
  (:mod:`analyzer.ingest.applehealth`); the route GPX files in ``workout-routes/`` beside it are
  read with their workouts, not as files of their own.

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

from analyzer._base.files import (
    GZIP_MAGIC,
    MAX_PAYLOAD_BYTES,
    MAX_RATIO,
    RATIO_FLOOR_BYTES,
    gunzip,
    kind_of,
    size_text,
)
from analyzer.errors import AnalyzerError, UnsafeArchive, UnsupportedExport
from analyzer.ingest import healthfiles as hf
from analyzer.ingest.applehealth import health_items
from analyzer.ingest.folders import NOT_READ, open_regular, walk_folder
from analyzer.ingest.formats import (
    ACTIVITY_KINDS,
    GZ_KINDS,
    MEMBER_SEP,
    PLAIN_KINDS,
    classify,
    unusable_reason,
)
from analyzer.ingest.healthfiles import is_export_name
from analyzer.ingest.items import Item, Payload, SourceProblem
from analyzer.ingest.zipcheck import check_overlap

MiB = 1 << 20
GiB = 1 << 30

#: Separator between an archive's name and a member's name in payload names.

_CHUNK = 1 * MiB


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
    max_health_bytes : int
        Largest Apple Health ``export.xml`` [bytes] (streamed, never held: real ones are
        0.5-4 GB).
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
    max_health_bytes: int = 32 * GiB


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
            raise UnsupportedExport(f"{p}: {kind_of(mode)}, not a file or folder: not opened")
        out.append(path)
    return out


def iter_payloads(
    paths: Iterable[str | os.PathLike],
    *,
    limits: Limits = Limits(),  # noqa: B008 - immutable
    on_discover: Callable[[int], None] | None = None,
    named: bool = True,
    on_read: Callable[[str, int, int], None] | None = None,
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
    on_read : callable, optional
        ``on_read(name, bytes_done, bytes_total)`` while an Apple Health ``export.xml`` is
        streamed (its two passes: the total is twice its size), for a progress bar on bytes.

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
    return _Walker(limits, on_discover, named, on_read).walk(checked)


class _BudgetExceeded(UnsafeArchive):
    """The total byte budget is spent: stop reading the current top-level path."""


class _Walker:
    """The state of one :func:`iter_payloads` call: limits, the byte budget, progress hook."""

    def __init__(
        self,
        limits: Limits,
        on_discover: Callable[[int], None] | None,
        named: bool = True,
        on_read: Callable[[str, int, int], None] | None = None,
    ):
        self.on_read = on_read
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
                exports = {p.parent for p in ok if is_export_name(p.name)}
                for f, why in files:
                    if why is not None:
                        yield SourceProblem(str(f), NOT_READ + why, "skipped")
                        continue
                    if hf.is_route_file(f, exports):
                        yield SourceProblem(str(f), hf.ROUTE_REASON, "skipped")
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
                yield from self._file(path, named=self.named)

    def _file(self, path: Path, named: bool = False) -> Iterator[Item]:
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
            elif kind == "health":
                size = path.stat().st_size

                def route(ref: str) -> bytes | None:
                    rel = hf.route_member(ref, "")
                    target = path.parent / rel if rel else None
                    if target is None or not target.is_file() or target.is_symlink():
                        return None
                    with open_regular(target) as fh:
                        return fh.read(self.limits.max_member_bytes + 1)

                yield from self._health(lambda: open_regular(path), size, name, route, named)
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
            check_overlap(zf.infolist(), name)
            self._count(len(infos), name)
            self.on_discover(sum(classify(i.filename) in ACTIVITY_KINDS for i in infos))
            exports = hf.export_member_dirs([i.filename for i in infos])
            for info in infos:
                member = f"{name}{MEMBER_SEP}{info.filename}"
                if exports and hf.is_route_member(info.filename, exports):
                    yield SourceProblem(member, hf.ROUTE_REASON, "skipped")
                    continue
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
        if kind == "health":
            yield from self._health_member(zf, info, member)
            return
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

    # -- Apple Health ---------------------------------------------------------------------
    def _health(self, opener, size: int, name: str, route, named=False) -> Iterator[Item]:
        """An ``export.xml``: one payload per running workout (streamed twice, never held)."""
        if size > self.limits.max_health_bytes:
            raise UnsafeArchive(
                f"{name}: {_size(size)} is larger than the Apple Health export limit "
                f"({_size(self.limits.max_health_bytes)})"
            )
        with opener() as fh:
            head = fh.read(hf.SNIFF_BYTES)
        if not hf.is_health_export(head):
            reason = unusable_reason(name)
            err = UnsupportedExport(reason) if named else None
            yield SourceProblem(name, reason, "failed" if named else "skipped", err)
            return
        yield from health_items(opener, size, name, read_route=route, on_read=self.on_read)

    def _health_member(self, zf: zipfile.ZipFile, info: zipfile.ZipInfo, member: str):
        self._check_ratio(info.file_size, info.compress_size, member)
        self._spend(2 * info.file_size, member)  # (read twice; zipfile stops at the size)
        names = {i.filename for i in zf.infolist()}

        def route(ref: str) -> bytes | None:
            target = hf.route_member(ref, info.filename)
            if target is None or target not in names:
                return None
            inner = zf.getinfo(target)
            return self._read(
                zf, inner, f"{member}{MEMBER_SEP}{target}", self.limits.max_member_bytes
            )

        yield from self._health(lambda: zf.open(info), info.file_size, member, route)

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
