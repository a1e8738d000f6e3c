"""Leaderboard submissions: a folder of data (metadata + predictions), read and checked loudly.

A submission is data only. Nothing in it is executed or unpickled; YAML is read with
`yaml.safe_load`; symbolic links, unknown files, oversized files and folder or system names that
try path traversal or would collide with another entry are rejected with a Problem naming the
file, the field and what was expected. The layout is documented in submissions/README.md.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from tally.schema.diagnostics import Problem
from tally.schema.jsonl import pydantic_problems

SPLITS = ("dev", "test")
METADATA_NAMES = ("metadata.yaml", "metadata.yml", "metadata.json")
# Files a submission may hold besides its metadata and predictions; anything else is an error,
# so that nobody mistakes a leaderboard entry for a place to ship code or pickles.
HARMLESS_NAMES = ("README.md", ".gitkeep")
# A folder name is used in output file names and page anchors: keep it to a safe, short alphabet.
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
MAX_METADATA_BYTES = 64 * 1024
MAX_PREDICTION_BYTES = 512 * 1024 * 1024
_URL_RE = re.compile(r"^https?://[^\s<>\"']+$")


class SubmissionMetadata(BaseModel):
    """What a submission says about its system (metadata.yaml or metadata.json)."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    system: str = Field(min_length=1, max_length=80, description="System name shown on the board.")
    authors: list[str] = Field(min_length=1, max_length=50, description="Author names.")
    date: dt.date = Field(description="Submission date, ISO 8601 (YYYY-MM-DD).")
    paper_url: str | None = Field(default=None, description="http(s) link to a paper.")
    code_url: str | None = Field(default=None, description="http(s) link to the code.")
    external_data: bool = Field(description="Was data beyond Tally's train split used?")
    external_data_notes: str | None = Field(default=None, max_length=500)
    llm: str | None = Field(
        description="Name of the LLM the system uses, or null when it uses none. Required: "
        "a board must tell LLM systems apart."
    )
    description: str | None = Field(default=None, max_length=500)
    contact: str | None = Field(default=None, max_length=200)

    @field_validator("system", "llm", "external_data_notes", "description", "contact")
    @classmethod
    def _printable(cls, v: str | None) -> str | None:
        if v is not None and any(unicodedata.category(c).startswith("C") for c in v):
            raise ValueError("control characters are not allowed")
        return v

    @field_validator("authors")
    @classmethod
    def _authors(cls, v: list[str]) -> list[str]:
        names = [a.strip() for a in v]
        if any(not a or len(a) > 120 for a in names):
            raise ValueError("each author must be a non-empty name of at most 120 characters")
        return names

    @field_validator("paper_url", "code_url")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        # Only http(s): a `javascript:` link on the board would be an injection.
        if v is not None and not _URL_RE.match(v):
            raise ValueError("must be an http:// or https:// URL")
        return v


@dataclass(frozen=True)
class Submission:
    """A checked submission folder: its name, metadata and prediction files by split."""

    name: str
    folder: Path
    metadata: SubmissionMetadata
    predictions: dict[str, Path]


def system_key(system: str) -> str:
    """Names equal under this key would be the same row on the board ("My-Sys" == "my sys")."""
    norm = unicodedata.normalize("NFKC", system).casefold()
    return re.sub(r"[\s_\-.]+", "", norm)


def load_metadata(path: Path) -> tuple[SubmissionMetadata | None, list[Problem]]:
    """Parse and validate one metadata file (YAML via safe_load, or JSON)."""
    f = str(path)
    size = path.stat().st_size
    if size > MAX_METADATA_BYTES:
        return None, [Problem(f, None, None, "-", f"file is {size} bytes",
                              f"at most {MAX_METADATA_BYTES} bytes")]
    try:
        raw_text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return None, [Problem(f, None, None, "-", f"not UTF-8: {exc.reason}", "UTF-8 text")]
    try:
        if path.suffix == ".json":
            raw = json.loads(raw_text)
        else:
            raw = yaml.safe_load(raw_text)
    except json.JSONDecodeError as exc:
        return None, [Problem(f, exc.lineno, None, "-", f"malformed JSON: {exc.msg}",
                              "a JSON object")]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        what = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return None, [Problem(f, line, None, "-", f"malformed YAML: {what}", "a YAML mapping")]
    if not isinstance(raw, dict):
        return None, [Problem(f, None, None, "-", f"found a {type(raw).__name__}",
                              "a mapping of fields (system, authors, date, ...)")]
    try:
        return SubmissionMetadata.model_validate(raw), []
    except ValidationError as exc:
        problems = pydantic_problems(exc, path, None, None)
        return None, [_with_expected(p) for p in problems]


_EXPECTED = {
    "system": "a system name, 1-80 characters",
    "authors": "a non-empty list of names",
    "date": "an ISO date, YYYY-MM-DD",
    "paper_url": "an http(s) URL or null",
    "code_url": "an http(s) URL or null",
    "external_data": "true or false",
    "llm": "the LLM's name, or null when no LLM is used",
}


def _with_expected(p: Problem) -> Problem:
    field = p.field.split(".")[0]
    if field in _EXPECTED and p.expected is None:
        return Problem(p.file, p.line, p.doc_id, p.field, p.message, _EXPECTED[field])
    if "Extra inputs" in p.message:
        allowed = ", ".join(SubmissionMetadata.model_fields)
        return Problem(p.file, p.line, p.doc_id, p.field, "unknown field", f"one of {allowed}")
    return p


def _check_folder(folder: Path) -> tuple[dict[str, Path], Path | None, list[Problem]]:
    """Files of one submission folder: predictions by split, the metadata file, problems."""
    problems: list[Problem] = []
    preds: dict[str, Path] = {}
    metas: list[Path] = []
    allowed = {f"{s}.jsonl" for s in SPLITS} | set(METADATA_NAMES) | set(HARMLESS_NAMES)
    for entry in sorted(folder.iterdir()):
        f = str(entry)
        if entry.is_symlink():
            # A link could point at the hidden gold or anywhere on the CI machine.
            problems.append(Problem(f, None, None, "-", "symbolic links are not accepted",
                                    "a regular file"))
        elif entry.is_dir():
            problems.append(Problem(f, None, None, "-", "sub-folders are not accepted",
                                    f"only the files {', '.join(sorted(allowed))}"))
        elif entry.name not in allowed:
            problems.append(Problem(f, None, None, "-", "unexpected file (submissions are "
                                    "data only)", f"only the files {', '.join(sorted(allowed))}"))
        elif entry.name in METADATA_NAMES:
            metas.append(entry)
        elif entry.suffix == ".jsonl":
            size = entry.stat().st_size
            if size > MAX_PREDICTION_BYTES:
                problems.append(Problem(f, None, None, "-", f"file is {size} bytes",
                                        f"at most {MAX_PREDICTION_BYTES} bytes"))
            else:
                preds[entry.stem] = entry
    if not metas:
        problems.append(Problem(str(folder), None, None, "metadata", "no metadata file",
                                f"one of {', '.join(METADATA_NAMES)}"))
    elif len(metas) > 1:
        problems.append(Problem(str(folder), None, None, "metadata",
                                f"several metadata files: {', '.join(m.name for m in metas)}",
                                "exactly one"))
    if not preds and not problems:
        problems.append(Problem(str(folder), None, None, "predictions", "no prediction file",
                                f"at least one of {', '.join(s + '.jsonl' for s in SPLITS)}"))
    return preds, (metas[0] if len(metas) == 1 else None), problems


def check_submission(folder: Path) -> tuple[Submission | None, list[Problem]]:
    """Check one submission folder: its name, files and metadata (not its predictions)."""
    name = folder.name
    f = str(folder)
    if folder.is_symlink():
        return None, [Problem(f, None, None, "-", "the submission folder is a symbolic link",
                              "a real folder")]
    if not NAME_RE.match(name):
        return None, [Problem(f, None, None, "folder name", f"{name!r} is not a safe name",
                              "letters, digits, '_' and '-', starting with a letter or digit, "
                              "at most 64 characters")]
    if not folder.is_dir():
        return None, [Problem(f, None, None, "-", "not a folder", "a submission folder")]
    preds, meta_path, problems = _check_folder(folder)
    meta = None
    if meta_path is not None:
        meta, meta_problems = load_metadata(meta_path)
        problems += meta_problems
    if problems or meta is None:
        return None, problems
    return Submission(name, folder, meta, preds), []


def discover(submissions_dir: Path) -> tuple[list[Submission], list[Problem]]:
    """Every submission folder under `submissions_dir`, checked; collisions are rejected.

    Top-level files (a README) and hidden folders are ignored. Two folders whose names differ only
    in case, or two systems whose names normalise alike, would overwrite one another's row or
    result file: all of them are rejected, each problem naming the other.
    """
    if not submissions_dir.is_dir():
        return [], [Problem(str(submissions_dir), None, None, "-", "folder not found",
                            "a folder of submission folders")]
    subs: list[Submission] = []
    problems: list[Problem] = []
    for entry in sorted(submissions_dir.iterdir()):
        if entry.name.startswith(".") or (entry.is_file() and not entry.is_symlink()):
            continue
        sub, probs = check_submission(entry)
        problems += probs
        if sub is not None:
            subs.append(sub)
    by_folder: dict[str, list[Submission]] = {}
    by_system: dict[str, list[Submission]] = {}
    for s in subs:
        by_folder.setdefault(s.name.casefold(), []).append(s)
        by_system.setdefault(system_key(s.metadata.system), []).append(s)
    clashing: set[str] = set()
    for group, what in ((by_folder, "folder name"), (by_system, "system")):
        for members in group.values():
            if len(members) < 2:
                continue
            for s in members:
                others = ", ".join(o.name for o in members if o is not s)
                clashing.add(s.name)
                problems.append(Problem(str(s.folder), None, None, what,
                                        f"collides with submission(s) {others}; it would "
                                        "overwrite their entry", f"a unique {what}"))
    return [s for s in subs if s.name not in clashing], problems
