"""Progress lines: on stderr when it is a terminal, never when piped, never with --quiet."""
from __future__ import annotations

import io
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from guidelab.progress import Progress

ROOT = Path(__file__).resolve().parent.parent


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_prints_stage_and_elapsed_time_on_a_terminal():
    out = _Tty()
    p = Progress("guidelab x", stream=out)
    p.stage("reading data")
    p.done("finished")
    lines = out.getvalue().splitlines()
    assert len(lines) == 2 and lines[0].startswith("guidelab x: [") and lines[0].endswith("s] reading data")
    assert "finished in " in lines[1] and lines[1].endswith(" s")


def test_progress_is_silent_when_quiet_or_not_a_terminal():
    for stream, quiet in ((_Tty(), True), (io.StringIO(), False)):
        p = Progress("guidelab x", stream=stream, quiet=quiet)
        p.stage("a")
        p.done()
        assert stream.getvalue() == ""


def _run(args: list[str], tty: bool, cwd: Path) -> tuple[int, str]:
    """Run the command with stderr a pseudo-terminal (tty) or a pipe; return (exit code, stderr)."""
    cmd = [sys.executable, "-m", "guidelab.cli", *args]
    if not tty:
        proc = subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=300)
        return proc.returncode, proc.stderr
    leader, follower = pty.openpty()
    try:
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=follower)
        os.close(follower)
        chunks = []
        while True:
            try:
                data = os.read(leader, 4096)
            except OSError:
                break
            if not data:
                break
            chunks.append(data)
        return proc.wait(timeout=300), b"".join(chunks).decode("utf-8", "replace")
    finally:
        os.close(leader)


@pytest.mark.parametrize("command", ["simulate", "assign"])
def test_long_commands_show_progress_only_on_a_terminal(tmp_path, command):
    spec = str(ROOT / "experiments" / "maintenance-banner-copy.yaml")
    if command == "simulate":
        args = ["simulate", spec, "--users", "300", "--days", "3", "--out", str(tmp_path / "sim")]
    else:
        (tmp_path / "users.txt").write_text("\n".join(f"u{i}" for i in range(300)) + "\n", encoding="utf-8")
        args = ["assign", spec, "--users", str(tmp_path / "users.txt"), "--out", str(tmp_path / "a.csv"), "--no-log"]
    code, err = _run(args, tty=True, cwd=tmp_path)
    assert code == 0 and f"guidelab {command}: [" in err and " in " in err
    code, err = _run(args + ["--quiet"], tty=True, cwd=tmp_path)
    assert code == 0 and err == ""
    code, err = _run(args, tty=False, cwd=tmp_path)
    assert code == 0 and err == ""
