"""The one atomic write: the old file or the new one, never half of one, and no temporary file left."""
from __future__ import annotations

import os
import stat

import pytest
from guidelab.fsutil import atomic_write_text, atomic_writer


def test_atomic_writer_replaces_with_ordinary_mode(tmp_path):
    path = tmp_path / "sub" / "out.txt"
    with atomic_writer(path) as fh:
        fh.write(b"first")
        assert not path.exists()  # nothing visible before the block ends
    assert path.read_bytes() == b"first"
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~mask
    atomic_write_text(path, "second")
    assert path.read_text(encoding="utf-8") == "second"
    assert sorted(p.name for p in path.parent.iterdir()) == ["out.txt"]


def test_atomic_writer_failure_keeps_the_old_file(tmp_path):
    path = tmp_path / "out.txt"
    path.write_bytes(b"old")
    with pytest.raises(OSError, match="disk full"):
        with atomic_writer(path) as fh:
            fh.write(b"half")
            raise OSError("disk full")
    assert path.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]
