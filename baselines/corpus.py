"""Loading documents for training and prediction, a story-level split, and a data hash."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable, Sequence
from pathlib import Path

from tally.schema.diagnostics import Problem, TallyError
from tally.schema.jsonl import dump_line, iter_json_lines, parse_model
from tally.schema.models import Document


def load_documents(path: Path | str) -> list[Document]:
    """Read gold documents from canonical JSONL; every problem is reported, none is skipped."""
    path = Path(path)
    docs: list[Document] = []
    problems: list[Problem] = []
    for lineno, obj, problem in iter_json_lines(path):
        if problem is not None:
            problems.append(problem)
            continue
        doc, probs = parse_model(Document, obj, path, lineno)
        problems.extend(probs)
        if doc is not None:
            if doc.text is None:
                problems.append(Problem(str(path), lineno, doc.id, "text",
                                        "document has no text", "hydrated documents "
                                        "(run `tally hydrate` first)"))
            else:
                docs.append(doc)
    if problems:
        raise TallyError(problems)
    return docs


def split_by_story(
    docs: Sequence[Document], fractions: tuple[float, ...] = (0.8, 0.2), seed: int = 0
) -> list[list[Document]]:
    """Split by `story` so documents about one incident never straddle two parts."""
    stories = sorted({d.story for d in docs})
    random.Random(seed).shuffle(stories)
    bounds, acc = [], 0.0
    for f in fractions:
        acc += f
        bounds.append(round(acc * len(stories)))
    part_of = {}
    for i, story in enumerate(stories):
        part_of[story] = next(k for k, b in enumerate(bounds) if i < b or k == len(bounds) - 1)
    parts: list[list[Document]] = [[] for _ in fractions]
    for d in docs:
        parts[part_of[d.story]].append(d)
    return parts


def documents_hash(docs: Iterable[Document]) -> str:
    """SHA-256 over the canonical lines, in order: names the training data in a manifest."""
    h = hashlib.sha256()
    for d in docs:
        h.update(dump_line(d))
    return h.hexdigest()
