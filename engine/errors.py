"""The one exception type every stage raises for a problem a person must fix.

A message names the file, the physical line (counted from 1) and the column when known, says what is
wrong and what to do. It never quotes pupils' personal data (names, INE, birth dates): it points at the
place instead, so that it can be logged safely.
"""

from __future__ import annotations

from pathlib import Path


class OndeError(Exception):
    """A user-facing error: ``file:line:column: message`` plus a hint on what to do."""

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        line: int | None = None,
        column: int | None = None,
        hint: str | None = None,
        exit_code: int = 1,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = str(file) if file is not None else None
        self.line = line
        self.column = column
        self.hint = hint
        self.exit_code = exit_code

    @property
    def location(self) -> str:
        """``file:line:column`` with whatever parts are known."""
        parts = [self.file or "<input>"]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)

    def __str__(self) -> str:
        text = f"{self.location}: {self.message}"
        if self.hint:
            text += f"\n  what to do: {self.hint}"
        return text

    def to_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "message": self.message,
            "hint": self.hint,
        }


class OndeErrorGroup(OndeError):
    """Several user-facing errors found in one pass (e.g. every bad row of a file), reported together."""

    def __init__(self, errors: list[OndeError], *, limit: int = 50) -> None:
        self.errors = errors
        first = errors[0]
        super().__init__(
            first.message, file=first.file, line=first.line, column=first.column, hint=first.hint
        )
        self.limit = limit

    def __str__(self) -> str:
        shown = [str(e) for e in self.errors[: self.limit]]
        if len(self.errors) > self.limit:
            shown.append(f"… and {len(self.errors) - self.limit} more errors")
        return "\n".join(shown)
