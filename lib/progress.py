"""Progress for long work (report, publish, simulate, assign): the stage and the time it took.

Lines go to stderr, only when stderr is a terminal (a person is watching) and ``--quiet`` was
not given; piped or captured output (CI logs, tests, ``publish`` running ``report``) stays clean.
"""
from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """``stage("reading data")`` prints ``guidelab report: [  1.2s] reading data`` to stderr;
    ``done()`` prints the total elapsed time. Silent unless ``enabled``."""

    def __init__(self, command: str = "guidelab", enabled: bool | None = None, quiet: bool = False,
                 stream: TextIO | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        if enabled is None:
            enabled = bool(getattr(self.stream, "isatty", lambda: False)())
        self.enabled = enabled and not quiet
        self.command = command
        self.started = time.monotonic()
        self._last = self.started

    def _print(self, text: str) -> None:
        if self.enabled:
            print(f"{self.command}: [{time.monotonic() - self.started:6.1f}s] {text}", file=self.stream, flush=True)

    def stage(self, text: str) -> None:
        """A stage starts (or a unit of work finished): say so, with the time since the start."""
        self._print(text)
        self._last = time.monotonic()

    def done(self, text: str = "done") -> None:
        """The whole command finished."""
        self._print(f"{text} in {time.monotonic() - self.started:.1f} s")
