"""Problems found in user files, reported with file, line, document id and field."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    """One finding: where it is (file, line, document, field), what was found, what was expected."""

    file: str
    line: int | None
    doc_id: str | None
    field: str
    message: str
    expected: str | None = None
    severity: Severity = "error"

    def __str__(self) -> str:
        where = self.file + (f":{self.line}" if self.line is not None else "")
        doc = f" [{self.doc_id}]" if self.doc_id else ""
        exp = f" (expected {self.expected})" if self.expected else ""
        return f"{where}:{doc} {self.severity}: {self.field}: {self.message}{exp}"

    def to_dict(self) -> dict:
        return asdict(self)


class TallyError(Exception):
    """A user-facing error: the CLI prints its problems, never a traceback."""

    def __init__(self, problems: list[Problem] | str):
        if isinstance(problems, str):
            problems = [Problem(file="-", line=None, doc_id=None, field="-", message=problems)]
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))
