"""Errors that name the file, the field and what was expected.

Every error a user can cause derives from :class:`GuidelabError`, so the command line can
print it in one line and exit 2 without a traceback.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class GuidelabError(Exception):
    """Base class for errors caused by the user's input (specs, data, arguments)."""


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
        return f"{where}:{field} {self.message}"


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
        self.file, self.field, self.message = str(file), field, message
        super().__init__(f"{file}: {field}: {message}" if field else f"{file}: {message}")
