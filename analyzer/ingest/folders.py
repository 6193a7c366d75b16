"""Walking a folder of exports without following links out of it or opening special files.

Symbolic links are never followed into folders (no loops, no escaping the folder given) and are
followed to a file only when the file lies inside the folder given: a link to ``/etc/shadow`` or
``~/.ssh/id_rsa`` dropped into an export folder is listed, not read. FIFOs, devices and sockets
(also behind a link, e.g. ``x.fit -> /dev/zero``) are never opened: opening a FIFO blocks, a
device can be endless. Each path not read comes with its reason, for the import log.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

from analyzer._base.files import kind_of

#: Start of the reason of a path the walk refuses to open (links out of the folder, dangling
#: links, special files); the import summary lists these one by one.
NOT_READ = "not read: "


def walk_folder(root: Path) -> Iterator[tuple[Path, str | None]]:
    """Every file under ``root`` in sorted order (of the full paths, as ``sorted(rglob)``),
    with the reason not to open those that must not be.

    Symbolic links are never followed into folders (no loops), and followed to a file only
    when the file lies inside ``root``; special files are never opened. Yields
    ``(path, None)`` for a regular file to read, ``(path, reason)`` otherwise.
    """
    top = root.resolve()
    found: list[tuple[Path, str | None]] = []

    def unreadable(exc: OSError) -> None:
        found.append((Path(exc.filename), f"cannot list the folder ({exc.strerror})"))

    for folder, dirs, names in os.walk(root, onerror=unreadable, followlinks=False):
        base = Path(folder)
        # (os.walk lists a link to a folder among the folders and does not enter it: report it)
        for entry in names + [d for d in dirs if (base / d).is_symlink()]:
            path = base / entry
            found.append((path, _not_readable(path, top)))
    return iter(sorted(found, key=lambda item: item[0]))


def _not_readable(path: Path, top: Path) -> str | None:
    """Why the walk must not open ``path`` (a link out of ``top``, a special file...), or None."""
    try:
        mode = path.lstat().st_mode
        if stat.S_ISLNK(mode):
            try:
                target = path.resolve(strict=True)
            except (OSError, RuntimeError):  # missing target, or a loop of links
                return "a symbolic link whose target does not exist"
            if not target.is_relative_to(top):
                return (
                    f"a symbolic link to {target}, outside the folder given "
                    "(links are not followed out of it)"
                )
            mode = target.stat().st_mode
            if stat.S_ISDIR(mode):
                return "a symbolic link to a folder (not followed)"
    except OSError as exc:
        return f"cannot inspect the path ({exc.strerror or exc})"
    if not stat.S_ISREG(mode):
        return f"{kind_of(mode)}, not a file"
    return None


def open_regular(path: Path):
    """Open ``path`` for reading only if it is a regular file (checked on the open file, so a
    path swapped for a FIFO after the walk looked at it does not block the import).

    Raises
    ------
    OSError
        When it cannot be opened, or is not a regular file (``strerror`` says which kind).
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise OSError(0, f"{kind_of(mode)}, not a file: not opened")
    return os.fdopen(fd, "rb")
