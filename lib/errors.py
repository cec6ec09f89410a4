"""Errors that name the file, the field and what was expected.

Every error a user can cause derives from :class:`GuidelabError`, so the command line can
print it in one line and exit 2 without a traceback.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

VALUE_LIMIT = 200
"""At most this many characters of one value are quoted in an error or log line."""

LINE_LIMIT = 600
"""A line of an error message longer than this is cut (a safety net under :func:`clip`)."""


def clip(value: object, limit: int = VALUE_LIMIT) -> str:
    """``repr`` of ``value`` for a message, quoting at most ``limit`` characters of it.

    A longer value keeps its start and says how long it was: ``'aaaa…' (200,000 characters)``,
    so an error never echoes a whole 400 KB field.
    """
    text = value if isinstance(value, str) else str(value)
    if len(text) <= limit:
        return repr(value)
    return f"{text[:limit]!r}… ({len(text):,} characters)"


def bound_message(message: str, limit: int = LINE_LIMIT) -> str:
    """``message`` with every line longer than ``limit`` cut in the middle (it says how much was left out)."""
    lines = []
    for line in str(message).split("\n"):
        if len(line) > limit:
            head, tail = limit * 2 // 3, limit // 6
            line = f"{line[:head]}… [{len(line) - head - tail:,} characters left out] …{line[-tail:]}"
        lines.append(line)
    return "\n".join(lines)


class GuidelabError(Exception):
    """Base class for errors caused by the user's input (specs, data, arguments).

    Every line of the message is bounded (:func:`bound_message`): an error that quotes a huge
    value stays a few lines long.
    """

    def __init__(self, *args: object):
        super().__init__(*(bound_message(a) if isinstance(a, str) else a for a in args))


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where (file, field path, line) and what was expected."""

    file: str
    field: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        field = f" {self.field}:" if self.field else ""
        return bound_message(f"{where}:{field} {self.message}")


class SpecError(GuidelabError):
    """A guide or experiment spec failed validation; carries every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    @classmethod
    def single(cls, file: str | Path, field: str, message: str, line: int | None = None) -> "SpecError":
        return cls([Problem(str(file), field, message, line)])


class DataError(GuidelabError):
    """Event data broke the data contract (missing file or column, wrong type, no time zone...)."""

    def __init__(self, file: str | Path, field: str, message: str):
        self.file, self.field, self.message = str(file), field, bound_message(message)
        super().__init__(f"{file}: {field}: {message}" if field else f"{file}: {message}")


class Stopped(KeyboardInterrupt):
    """The process was asked to stop by a signal while it worked: SIGINT (Ctrl-C) or SIGTERM
    (``kill``, a CI job's timeout, a container stopping).

    A :class:`KeyboardInterrupt`, so whatever stops on Ctrl-C stops on it too (and no
    ``except Exception`` swallows it). ``signum`` is the signal; ``notebook`` the partial
    notebook kept, when one was. The command line ends with status ``128 + signum`` (130 for
    SIGINT, 143 for SIGTERM), the shells' convention for a process ended by a signal.
    """

    def __init__(self, signum: int, message: str = "", notebook: Path | None = None):
        self.signum, self.notebook = signum, notebook
        super().__init__(message or f"stopped by {signal_name(signum)}")

    @property
    def exit_status(self) -> int:
        return 128 + self.signum


def signal_name(signum: int) -> str:
    """``SIGTERM`` for 15, ``signal 99`` for a number the platform does not name."""
    import signal

    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"
