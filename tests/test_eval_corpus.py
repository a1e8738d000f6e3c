"""The real corpus (data/authoring, growing): gold against itself is 1.0, empty is 0."""

from __future__ import annotations

import pytest

from tally.eval import METRICS, evaluate
from tally.schema.authoring import compile_file
from tally.schema.models import Prediction
from tally.schema.validate import DocumentChecker
from tests.conftest import DATA


def _corpus():
    # Writers edit these files while tests run: keep only documents that compile and validate.
    checker, docs, ids = DocumentChecker(), [], set()
    for f in sorted((DATA / "authoring").rglob("*.tly")):
        doc, problems = compile_file(f)
        if doc is None or doc.id in ids:
            continue
        problems += checker.check(doc, str(f), None)
        if not [p for p in problems if p.severity == "error"]:
            docs.append(doc)
            ids.add(doc.id)
    return docs


def test_corpus_self_and_empty():
    gold = _corpus()
    if not gold:
        pytest.skip("no compilable documents in data/authoring yet")
    full = [Prediction(id=d.id, events=d.events, numbers=d.numbers, times=d.times,
                       relations=d.relations) for d in gold]
    rep = evaluate(gold, full, bootstrap=50).to_json()
    for name, m in rep["metrics"].items():
        main = m["accuracy"] if METRICS[name].kind == "accuracy" else m["f1"]
        assert main == pytest.approx(1.0), name
    empty = evaluate(gold, [Prediction(id=d.id) for d in gold], bootstrap=0).to_json()
    assert empty["metrics"]["tally_strict"]["f1"] == 0
    assert empty["metrics"]["trigger_classification"]["recall"] == 0
