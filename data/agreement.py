"""Blind double annotation: blank copies for a second annotator, and reading their work back.

`blank_tly` gives the second annotator the metadata and the raw text only (no annotation, no
writer's notes). Their `.tly` files live in `data/agreement/<annotator>/`; `load_second` compiles
them and checks each text is byte-identical to the gold document's (by SHA-256), so the two
annotations are of the same text.
"""

from __future__ import annotations

from pathlib import Path

from tally.schema.authoring import compile_file, decompile
from tally.schema.diagnostics import Problem, TallyError
from tally.schema.models import Document

AGREEMENT_DIR = Path(__file__).resolve().parent / "agreement"


def blank_document(doc: Document) -> Document:
    """The document with every annotation layer emptied and the provenance reduced to metadata."""
    prov = doc.provenance.model_copy(update={"annotator": None, "notes": None})
    return doc.model_copy(update={"events": [], "numbers": [], "times": [], "relations": [],
                                  "provenance": prov})


def blank_tly(doc: Document) -> str:
    return decompile(blank_document(doc))


def select_for_agreement(docs_by_split: dict[str, list[Document]], share: float = 0.16,
                         minimum: int = 45) -> list[Document]:
    """Every k-th document of each split (ordered by id), so the sample spans all splits."""
    total = sum(len(v) for v in docs_by_split.values())
    want = max(minimum, round(total * share))
    step = max(1, total // want) if want else 1
    chosen: list[Document] = []
    for split in sorted(docs_by_split):
        docs = sorted(docs_by_split[split], key=lambda d: d.id)
        chosen += docs[::step]
    return chosen


def load_second(gold: dict[str, Document], folder: Path) -> list[Document]:
    """Compile the second annotations under `folder`; each must match a gold document's text."""
    out: list[Document] = []
    problems: list[Problem] = []
    for f in sorted(folder.rglob("*.tly")):
        doc, probs = compile_file(f)
        problems += probs
        if doc is None:
            continue
        g = gold.get(doc.id)
        if g is None:
            problems.append(Problem(str(f), None, doc.id, "id", "no gold document with this id"))
        elif g.text_sha256 != doc.text_sha256:
            problems.append(Problem(str(f), None, doc.id, "text",
                                    "text differs from the gold document's", "the identical text"))
        else:
            out.append(doc)
    if problems:
        raise TallyError(problems)
    return out
