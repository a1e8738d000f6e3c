"""Label Studio tasks from raw articles (plain text files) or canonical JSONL.

A task's data holds the text (`$text` in the config) and, under `tally`, every field of the
document except its text and annotation layers, so an export converts back to a full
`Document`. Pre-annotations ("predictions") come from a trained baseline and carry its model
version and a score (the model's dev-set headline F1 from its manifest, when recorded).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from tally.schema.diagnostics import Problem, TallyError
from tally.schema.jsonl import iter_json_lines, parse_model
from tally.schema.labelstudio.convert import META_KEY, document_meta, layers_to_results
from tally.schema.models import Document, Prediction
from tally.schema.validate import sha256_text

CANONICAL_VERSION = "tally-canonical"


@dataclass(frozen=True)
class TextMeta:
    """Metadata for articles given as plain text (the file gives the id, text and headline)."""

    date: str = ""
    genre: str = "wire"
    country: str = "unknown"
    conflict: str = "unknown"
    license: str = "unknown"
    place: str | None = None


def _doc_id(path: Path) -> str:
    stem = "".join(c if c.isalnum() or c in "-_" else "-" for c in path.stem)
    return stem if stem[:1].isalpha() else f"doc-{stem}"


def document_from_text(path: Path, meta: TextMeta) -> Document:
    """An unannotated document: the first non-empty line is the headline."""
    try:
        text = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TallyError([Problem(str(path), None, None, "-",
                                  f"cannot read as UTF-8: {exc}")]) from None
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    if not first:
        raise TallyError([Problem(str(path), None, None, "text", "the file is empty",
                                  "an article whose first line is its headline")])
    start = text.index(first)
    doc_id = _doc_id(path)
    obj = {
        "id": doc_id, "headline": {"start": start, "end": start + len(first), "text": first},
        "dateline": {"place": meta.place, "date": meta.date or dt.date.today().isoformat()},
        "text": text, "text_sha256": sha256_text(text), "genre": meta.genre,
        "country": meta.country, "conflict": meta.conflict, "story": doc_id,
        "license": meta.license,
        "provenance": {"method": "label_studio", "created": dt.date.today().isoformat(),
                       "source": {"publisher": "unknown", "file": path.name}},
    }
    doc, probs = parse_model(Document, obj, path, None)
    if doc is None:
        raise TallyError(probs)
    return doc


def load_articles(paths: list[Path], meta: TextMeta) -> list[Document]:
    """Documents from `.txt` files and canonical `.jsonl` files (the latter must have text)."""
    docs: list[Document] = []
    problems: list[Problem] = []
    files: list[Path] = []
    for p in paths:
        if p.is_dir():
            files += sorted(q for q in p.rglob("*") if q.suffix in (".txt", ".jsonl"))
        elif not p.exists():
            problems.append(Problem(str(p), None, None, "-", "no such file or folder"))
        else:
            files.append(p)
    for f in files:
        if f.suffix == ".jsonl":
            for lineno, obj, prob in iter_json_lines(f):
                if prob:
                    problems.append(prob)
                    continue
                doc, probs = parse_model(Document, obj, f, lineno)
                problems += probs
                if doc is not None and doc.text is None:
                    problems.append(Problem(str(f), lineno, doc.id, "text", "document has no text",
                                            "hydrated documents (`tally hydrate`)"))
                elif doc is not None:
                    docs.append(doc)
        else:
            try:
                docs.append(document_from_text(f, meta))
            except TallyError as exc:
                problems += exc.problems
    seen: set[str] = set()
    for d in docs:
        if d.id in seen:
            problems.append(Problem("-", None, d.id, "id", "two articles have this id",
                                    "unique ids (file names)"))
        seen.add(d.id)
    if problems:
        raise TallyError(problems)
    return docs


def model_predictions(model_dir: Path, docs: list[Document]) -> tuple[list[Prediction], str,
                                                                      float | None]:
    """A trained baseline's predictions, its version string and its recorded dev score."""
    from tally.baselines import load_model, predict, read_manifest
    from tally.eval import HEADLINE

    manifest = read_manifest(model_dir)
    model = load_model(model_dir)
    blank = [d.model_copy(update={"events": [], "numbers": [], "times": [], "relations": []})
             for d in docs]
    version = (f"{manifest['system']}-{manifest.get('system_version', '?')}-"
               f"{str(manifest.get('training_data_sha256', ''))[:8]}")
    score = manifest.get("dev_scores", {}).get(HEADLINE)
    return predict(model, blank), version, score


def build_tasks(docs: list[Document], *, predictions: list[Prediction] | None = None,
                model_version: str = "", score: float | None = None,
                keep_annotations: bool = False) -> list[dict]:
    """Task JSON for Label Studio's import: data, and predictions when given.

    `keep_annotations` adds the document's own annotations as a prediction (model version
    `tally-canonical`), for review or correction of existing annotations."""
    by_id = {p.id: p for p in predictions or []}
    tasks = []
    for d in docs:
        task: dict = {"data": {"text": d.text, META_KEY: document_meta(d)}, "predictions": []}
        if keep_annotations:
            task["predictions"].append({"model_version": CANONICAL_VERSION, "score": 1.0,
                                        "result": layers_to_results(d)})
        if d.id in by_id:
            pred: dict = {"model_version": model_version, "result": layers_to_results(by_id[d.id])}
            if score is not None:
                pred["score"] = score
            task["predictions"].append(pred)
        tasks.append(task)
    return tasks
