"""Reading and writing canonical JSONL with line numbers kept for error messages."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import orjson
from pydantic import BaseModel, ValidationError

from tally.schema.diagnostics import Problem


def iter_json_lines(path: Path) -> Iterator[tuple[int, dict | None, Problem | None]]:
    """Yield (line number, object, problem) for each non-blank line of a JSONL file."""
    try:
        fh = path.open("rb")
    except OSError as exc:
        yield 0, None, Problem(str(path), None, None, "-", f"cannot read file: {exc.strerror}")
        return
    with fh:
        for lineno, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            try:
                obj = orjson.loads(raw)
            except orjson.JSONDecodeError as exc:
                yield lineno, None, Problem(
                    str(path), lineno, None, "-", f"malformed JSON: {exc}",
                    "one JSON object per line"
                )
                continue
            if not isinstance(obj, dict):
                yield lineno, None, Problem(
                    str(path), lineno, None, "-", f"found a JSON {type(obj).__name__}",
                    "a JSON object",
                )
                continue
            yield lineno, obj, None


def pydantic_problems(
    exc: ValidationError, path: Path, lineno: int | None, doc_id: str | None
) -> list[Problem]:
    """Turn a pydantic ValidationError into Problems naming the field path."""
    out = []
    for err in exc.errors(include_url=False):
        loc = ".".join(str(p) for p in err["loc"]) or "-"
        found = err.get("input")
        found_s = repr(found)
        if len(found_s) > 60:
            found_s = found_s[:57] + "..."
        msg = err["msg"]
        if err["type"] not in ("missing", "extra_forbidden"):
            msg = f"{msg}; found {found_s}"
        out.append(Problem(str(path), lineno, doc_id, loc, msg))
    return out


def parse_model(
    model: type[BaseModel], obj: dict, path: Path, lineno: int | None
) -> tuple[BaseModel | None, list[Problem]]:
    doc_id = obj.get("id") if isinstance(obj.get("id"), str) else None
    try:
        return model.model_validate(obj), []
    except ValidationError as exc:
        return None, pydantic_problems(exc, path, lineno, doc_id)


def dump_line(model: BaseModel) -> bytes:
    return orjson.dumps(model.model_dump(mode="json")) + b"\n"


def write_jsonl(path: Path, models: list[BaseModel], *, overwrite: bool = False) -> None:
    """Write atomically (temp file + rename) so a failure never leaves a half-written file."""
    if path.exists() and not overwrite:
        raise FileExistsError(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            for m in models:
                fh.write(dump_line(m))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
