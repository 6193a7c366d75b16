"""Files named by the user: checked before they are opened, written atomically.

Every file the tool reads or writes because a user named it (a config file, a diary CSV, a
model, a report, a label file) goes through these three functions, so each hostile case is
handled once:

- a folder, a FIFO, a device or a socket is refused before it is opened for reading (opening a
  FIFO blocks until a writer comes; ``/dev/zero`` never ends), and checked again on the open
  descriptor (a path swapped after the check);
- a file larger than the caller's limit is refused instead of being read into memory;
- every gzip stream, wherever it sits (a ``.fit.gz``, a zip member, a ``.fit`` that is gzip
  inside), is decompressed by :func:`gunzip` within the same limits: size, ratio and the
  caller's running total;
- a write goes to a temporary file in the target's folder that replaces the target only once
  it is complete, so a full disk or a file-size limit (``ulimit -f``) leaves the old file or no
  file, never a truncated one. A missing folder or a target that is a folder is one line.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

from analyzer.errors import FileProblem, UnsafeArchive

MiB = 1 << 20
#: Largest uncompressed activity payload [bytes] (the biggest real activity files are tens of MB).
MAX_PAYLOAD_BYTES = 256 * MiB
#: Largest uncompressed/compressed ratio of one member: activity files compress 3-10x, a zip
#: bomb about 1000x.
MAX_RATIO = 200.0
#: Payloads smaller than this [bytes] are exempt from the ratio check (harmless however well
#: they compress).
RATIO_FLOOR_BYTES = 1 * MiB
#: gzip's magic bytes (RFC 1952, 2.3.1).
GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 1 * MiB


def kind_of(mode: int) -> str:
    """What a non-regular file is, in words (``"a FIFO (named pipe)"``...)."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _why(exc: OSError) -> str:
    if exc.errno == errno.EFBIG:
        return "the file is too large for the file-size limit"
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return "the disk is full"
    return exc.strerror or str(exc)


def read_user_file(path: str | os.PathLike, *, what: str, max_bytes: int) -> bytes:
    """The bytes of the regular file ``path``, at most ``max_bytes`` of them.

    Raises
    ------
    FileNotFoundError
        When ``path`` does not exist (callers choose whether that is an error).
    FileProblem
        A folder, FIFO, device or socket (never opened for long: the open does not block), a
        file larger than ``max_bytes``, or one that cannot be read.
    """
    path = Path(path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise
    except IsADirectoryError:
        raise FileProblem(f"{path}: the {what} is a folder, not a file: not read") from None
    except OSError as exc:
        raise FileProblem(f"{path}: cannot read the {what} ({_why(exc)})") from None
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise FileProblem(f"{path}: the {what} is {kind_of(st.st_mode)}, not a file: not read")
        if st.st_size > max_bytes:
            raise FileProblem(
                f"{path}: the {what} is too large ({st.st_size:,} bytes; a {what} may have "
                f"{max_bytes:,}): not read"
            )
        try:
            data = fh.read(max_bytes + 1)
        except OSError as exc:
            raise FileProblem(f"{path}: cannot read the {what} ({_why(exc)})") from None
    if len(data) > max_bytes:  # it grew while we read
        raise FileProblem(f"{path}: the {what} is more than {max_bytes:,} bytes: not read")
    return data


def write_user_file(
    path: str | os.PathLike, content: bytes | str | Callable[[IO[bytes]], None], *, what: str
) -> Path:
    """Write ``content`` (bytes, text as UTF-8, or a function writing to a binary file) to
    ``path`` atomically: the target appears complete or not at all. Returns the path.

    Raises
    ------
    FileProblem
        The folder does not exist or is not one, the target is a folder or a special file, or
        the write failed (disk full, file-size limit, permission); no partial file is left.
    """
    path = Path(path)
    folder = path.parent
    if not folder.is_dir():
        raise FileProblem(
            f"{path}: cannot write the {what}: the folder {folder} does not exist; create it first"
        )
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        raise FileProblem(f"{path}: cannot write the {what} ({_why(exc)})") from None
    if mode is not None and not stat.S_ISREG(mode):
        raise FileProblem(
            f"{path}: cannot write the {what}: the path is {kind_of(mode)}; name a file"
        )
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            if callable(content):
                content(fh)
            else:
                fh.write(content.encode("utf-8") if isinstance(content, str) else content)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644 & ~_umask())
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        raise FileProblem(
            f"{path}: cannot write the {what} ({_why(exc)}); nothing was written"
        ) from None
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def gunzip(
    fh: IO[bytes],
    compressed: int,
    name: str,
    *,
    limit: int = MAX_PAYLOAD_BYTES,
    max_ratio: float = MAX_RATIO,
    ratio_floor: int = RATIO_FLOOR_BYTES,
    spend: Callable[[int, str], None] | None = None,
) -> bytes:
    """Decompress the gzip stream ``fh`` (``compressed`` bytes) chunk by chunk, within limits.

    ``spend(n, name)`` is called for every chunk (the caller's budget for one import).

    Raises
    ------
    UnsafeArchive
        More than ``limit`` bytes, or a ratio above ``max_ratio`` (past ``ratio_floor``).
    OSError, EOFError, zlib.error
        Not a readable gzip stream.
    """
    import gzip

    out = io.BytesIO()
    with gzip.GzipFile(fileobj=fh, mode="rb") as gz:
        while chunk := gz.read(_CHUNK):
            out.write(chunk)
            n = out.tell()
            if spend is not None:
                spend(len(chunk), name)
            if n > limit:
                raise UnsafeArchive(
                    f"{name}: unsafe archive: decompresses to more than the {size_text(limit)} "
                    "per-member limit"
                )
            if n > ratio_floor and n > max_ratio * max(compressed, 1):
                raise UnsafeArchive(
                    f"{name}: unsafe archive: compression ratio above {max_ratio:g}:1 "
                    f"({size_text(n)} from {size_text(compressed)}; looks like a zip bomb)"
                )
    return out.getvalue()


def size_text(n: int) -> str:
    """A byte count for people: ``"1.5 MB"``, ``"300 bytes"``."""
    for unit, scale in (("GB", 1 << 30), ("MB", MiB), ("KB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} bytes"
