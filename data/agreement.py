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
# The first annotation of each double-annotated document as it stood before adjudication, so the
# agreement table keeps measuring two independent annotations after the gold is corrected.
FIRST_DIR_NAME = "first-annotation"


def blank_document(doc: Document) -> Document:
    """The document with every annotation layer emptied and the provenance reduced to metadata."""
    prov = doc.provenance.model_copy(update={"annotator": None, "notes": None})
    return doc.model_copy(update={"events": [], "numbers": [], "times": [], "relations": [],
                                  "provenance": prov})


def blank_tly(doc: Document) -> str:
    return decompile(blank_document(doc))


def load_second(gold: dict[str, Document], folder: Path) -> list[Document]:
    """Compile the second annotations under `folder`; each must match a gold document's text."""
    out: list[Document] = []
    problems: list[Problem] = []
    for f in sorted(folder.rglob("*.tly")):
        if FIRST_DIR_NAME in f.relative_to(folder).parts:
            continue
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


def load_first(gold: dict[str, Document], folder: Path) -> list[Document]:
    """The pre-adjudication first annotations kept under `folder/first-annotation/`."""
    first_dir = folder / FIRST_DIR_NAME
    out: list[Document] = []
    problems: list[Problem] = []
    for f in sorted(first_dir.glob("*.tly")) if first_dir.is_dir() else []:
        doc, probs = compile_file(f)
        problems += probs
        if doc is not None and (doc.id not in gold or gold[doc.id].text_sha256 != doc.text_sha256):
            problems.append(Problem(str(f), None, doc.id, "text",
                                    "no gold document with this id and text"))
        elif doc is not None:
            out.append(doc)
    if problems:
        raise TallyError(problems)
    return out


def as_prediction(doc: Document):
    from tally.schema.models import Prediction

    return Prediction(id=doc.id, events=doc.events, numbers=doc.numbers, times=doc.times,
                      relations=doc.relations)


def agreement_report(gold_docs: list[Document], folder: Path = AGREEMENT_DIR, *,
                     regime: str = "exact", bootstrap: int = 1000, seed: int = 0):
    """Score the second annotations against the first with the Tally scorer (first = gold).

    The first annotation is the pre-adjudication copy when one is kept, else the gold itself.
    F1 is symmetric in the two annotations; accuracies are over the items both matched."""
    from tally.eval import evaluate

    gold = {d.id: d for d in gold_docs}
    second = load_second(gold, folder)
    if not second:
        return None
    first = {d.id: d for d in load_first(gold, folder)}
    subset = [first.get(d.id, gold[d.id]) for d in second]
    return evaluate(subset, [as_prediction(d) for d in second], regime=regime,
                    bootstrap=bootstrap, seed=seed)


AGREEMENT_LAYERS = (
    ("trigger_identification", "Trigger (span)"),
    ("trigger_classification", "Trigger + type"),
    ("argument_classification", "Argument + role (attached)"),
    ("argument_classification_trigger_free", "Argument + role (trigger-free)"),
    ("number_span", "Number span"),
    ("number_value", "Number value (matched spans)"),
    ("number_bounds", "Number bounds + qualifier (matched spans)"),
    ("number_kind", "Number kind (matched spans)"),
    ("number_event_link", "Number-to-event link"),
    ("tally_strict", "Tally F1, strict"),
    ("tally_soft", "Tally F1, soft"),
    ("attribution", "Attribution (matched events)"),
    ("factuality", "Factuality (matched events)"),
    ("coreference_b3", "Event coreference (B-cubed)"),
)


def _n(x) -> str:
    if x is None:
        return ""
    return str(int(x)) if isinstance(x, float) and x.is_integer() else str(x)


def agreement_markdown(report, by_split: dict[str, int]) -> str:
    d = report.to_json()
    split_s = ", ".join(f"{k} {v}" for k, v in by_split.items())
    lines = [f"Second annotation of {d['documents']['scored']} documents ({split_s}), blind, "
             "scored against the first with the Tally scorer "
             f"(scorer {d['scorer_version']}, regime `{d['regime']}`, 95% bootstrap CI over "
             f"documents, seed {d['options']['seed']}).", "",
             "| layer | agreement | 95% CI | first | second | matched |",
             "|---|---:|---|---:|---:|---:|"]
    for name, title in AGREEMENT_LAYERS:
        m = d["metrics"][name]
        val = m["accuracy"] if m["kind"] == "accuracy" else m["f1"]
        ci = f"[{m['ci_low']:.3f}, {m['ci_high']:.3f}]" if m.get("ci_low") is not None else ""
        if m["kind"] == "accuracy":
            first, second, matched = m.get("total", ""), "", m.get("correct", "")
        else:
            first, second, matched = m["gold"], m["predicted"], m["matched"]
        unit = " (acc.)" if m["kind"] == "accuracy" else ""
        val_s = "n/a" if val is None else f"{val:.3f}{unit}"
        lines.append(f"| {title} | {val_s} | {ci} | {_n(first)} | {_n(second)} | {_n(matched)} |")
    return "\n".join(lines)
