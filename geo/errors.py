"""Errors a person can act on: which file, which line, which field, and why."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class RowError:
    file: str
    line: int
    field: str
    reason: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.field}: {self.reason}"

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


class AtlasError(Exception):
    """Base for errors whose message is meant for the user."""


class ValidationFailed(AtlasError):
    def __init__(self, errors: list[RowError]):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


class NotFound(AtlasError):
    pass


class BadRequest(AtlasError):
    pass


class TooManyRequests(AtlasError):
    """A flood limit was reached (429); `retry_after_s` says when to try again."""

    def __init__(self, message: str, retry_after_s: int):
        self.retry_after_s = retry_after_s
        super().__init__(message)
