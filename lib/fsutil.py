"""Atomic file writes: a reader sees the old file or the new one, never half of one.

:func:`atomic_writer` is the one implementation (a temporary file beside the target, fsync,
ordinary permissions, ``os.replace``, fsync of the folder); :func:`atomic_write_bytes` and
:func:`atomic_write_text` write a whole value through it, and streaming writers (the assignment
log) write to the handle it yields.
"""
from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO


def _default_mode() -> int:
    """The mode a plain ``open()`` would give a new file (0o666 less the umask)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def _fsync_dir(path: Path) -> None:
    """Make a rename in ``path`` durable (best effort: some file systems refuse a folder fsync)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextmanager
def atomic_writer(path: str | Path) -> Iterator[IO[bytes]]:
    """A binary handle on a temporary file beside ``path`` that replaces ``path`` when the block ends.

    On leaving the block normally the data is flushed and fsynced, the file gets the mode a
    plain ``open()`` would give it (``mkstemp`` makes 0600; a report is meant to be shared), it
    is renamed over ``path`` (atomic on POSIX) and the folder is fsynced. On any exception the
    temporary file is removed and ``path`` is untouched (or still absent).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        atomic_replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    _fsync_dir(path.parent)


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` through :func:`atomic_writer`."""
    with atomic_writer(path) as fh:
        fh.write(data)
    return Path(path)


def atomic_replace(tmp: str | Path, path: str | Path) -> Path:
    """Move a finished temporary file over ``path`` with ordinary permissions."""
    os.chmod(tmp, _default_mode())
    os.replace(tmp, path)
    return Path(path)


def atomic_write_text(path: str | Path, text: str) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"))
