"""Documents stored without their text (copyrighted articles): hash checks and hydration.

A non-redistributable document keeps `text: null`, `text_sha256` and `provenance.source.file`.
`hydrate_document` fills the text in from a local copy and refuses a copy whose hash differs.
"""

from __future__ import annotations

import os
from pathlib import Path

from tally.schema.models import Document
from tally.schema.validate import sha256_text

TEXT_DIR_ENV = "TALLY_TEXT_DIR"


def default_text_dirs() -> list[Path]:
    """Folders named by $TALLY_TEXT_DIR (path-separated), where hydration looks by default."""
    raw = os.environ.get(TEXT_DIR_ENV, "")
    return [Path(p) for p in raw.split(os.pathsep) if p]


def read_source_text(path: Path) -> str:
    # newline="" keeps the file's line endings exactly, so the hash is over the real bytes.
    with path.open(encoding="utf-8", newline="") as fh:
        return fh.read()


def hydrate_document(doc: Document, text_dirs: list[Path]) -> tuple[Document, str | None]:
    """Return (document with text, None) or (document unchanged, why it could not be hydrated)."""
    if doc.text is not None:
        return doc, None
    src = doc.provenance.source
    if src is None or not src.file:
        return doc, "no provenance.source.file to hydrate from"
    looked = []
    for d in text_dirs:
        cand = d / src.file
        looked.append(str(cand))
        if cand.is_file():
            text = read_source_text(cand)
            got = sha256_text(text)
            if got != doc.text_sha256:
                return doc, (f"{cand} has SHA-256 {got[:12]}…, the document expects "
                             f"{doc.text_sha256[:12]}…: a different copy; refusing it")
            return doc.model_copy(update={"text": text}), None
    where = ", ".join(looked) or "no folder given"
    return doc, f"source file {src.file!r} not found (looked in {where})"


def dehydrate_document(doc: Document) -> Document:
    """The same document without its text (for sharing annotations of copyrighted articles)."""
    return doc.model_copy(update={"text": None})
