"""Canonical <-> Label Studio results: lossless over the corpus, code-point offsets, and every
problem of an export reported with task, annotation and region id."""

from __future__ import annotations

import copy
import json

import pytest

from tally.schema.labelstudio.agreement import agreement_markdown, pairwise_reports
from tally.schema.labelstudio.convert import (
    META_KEY,
    Where,
    document_meta,
    layers_to_results,
    results_to_document,
)
from tally.schema.labelstudio.importing import import_export
from tally.schema.validate import DocumentChecker
from tests.labelstudio_docs import corpus_docs, unicode_doc


def _round_trip(doc, checker=None):
    w = Where("export.json", 1, 10)
    back = results_to_document(document_meta(doc), doc.text, layers_to_results(doc), w, checker)
    return back, [p for p in w.problems if p.severity == "error"]


def test_round_trip_is_lossless_over_the_whole_corpus():
    docs = corpus_docs()
    assert len(docs) > 300
    checker = DocumentChecker()
    for doc in docs:
        back, errors = _round_trip(doc, checker)
        assert not errors, (doc.id, errors[:3])
        assert back == doc, doc.id


def test_round_trip_non_ascii_offsets_are_code_points():
    doc = unicode_doc()
    results = layers_to_results(doc)
    # Offsets are Python str indices: emoji and curly quotes count as one character each.
    agent = next(r for r in results if r["id"] == "e2-a0")
    v = agent["value"]
    assert doc.text[v["start"]:v["end"]] == v["text"] == "The Ta’ang army 🛡️"
    back, errors = _round_trip(doc)
    assert not errors and back == doc
    # The same through JSON text, as Label Studio stores it.
    results = json.loads(json.dumps(results, ensure_ascii=False))
    w = Where("x", 1, 1)
    assert results_to_document(document_meta(doc), doc.text, results, w) == doc


def _task(doc, annotations):
    return {"id": 7, "data": {"text": doc.text, META_KEY: document_meta(doc)},
            "annotations": annotations}


def _ann(aid, user, result):
    return {"id": aid, "completed_by": user, "result": result, "was_cancelled": False}


def test_import_reports_each_problem_with_task_annotation_and_region():
    doc = unicode_doc()
    res = copy.deepcopy(layers_to_results(doc))
    by_id = {r["id"]: r for r in res if r["type"] == "labels"}
    by_id["e3"]["value"]["labels"] = ["NOT_A_TYPE"]                 # unknown label
    by_id["t1"]["value"]["end"] = len(doc.text) + 5                 # out of range
    by_id["n1"]["value"]["text"] = "four"                           # text mismatch
    res.append({"id": "zz", "from_name": "span", "to_name": "text", "type": "labels",
                "value": {"start": 0, "end": 2, "text": doc.text[:2], "labels": ["Argument"]}})
    res.append({"from_id": "e1", "to_id": "nowhere", "type": "relation", "labels": ["agent"]})
    sets = import_export([_task(doc, [_ann(70, 1, res)])], "export.json")
    msgs = [(p.field, p.message) for p in sets.errors]
    assert not sets.sets, "a document with errors is not written"

    def has(region, text):
        return any(f.startswith(f"task 7 annotation 70 region {region}") and text in m
                   for f, m in msgs)

    assert has("e3", "unknown label 'NOT_A_TYPE'")
    assert has("t1", "outside the text")
    assert has("n1", "differs from the text")
    assert has("zz", "not linked from any event")
    assert has("e1->nowhere", "not a region")
    # Attributes of a region that could not be read are reported, not dropped.
    assert has("n1", "attribute value of a region that is not in the annotation")


def test_validator_problems_point_at_their_region():
    doc = unicode_doc()
    res = copy.deepcopy(layers_to_results(doc))
    for r in res:
        if r.get("id") == "n1" and r.get("from_name") == "counted_class":
            r["value"]["choices"] = ["civilians"]
        if r.get("from_id") == "e2" and r.get("labels") == ["territory"]:
            r["labels"] = ["victim"]  # not a role of TERRITORY_CAPTURE
    sets = import_export([_task(doc, [_ann(70, 1, res)])], "export.json")
    fields = [p.field for p in sets.errors]
    assert any(f.startswith("task 7 annotation 70 region e2-a1: events[1].arguments[1]")
               for f in fields), fields


def test_annotators_become_separate_sets_and_agree_per_layer():
    doc = unicode_doc()
    res = layers_to_results(doc)
    # The second annotator gave the third event another type.
    partial = copy.deepcopy(res)
    next(r for r in partial if r.get("id") == "e3")["value"]["labels"] = ["ATTACK"]
    tasks = [_task(doc, [_ann(70, {"id": 1, "email": "a@x.org"}, res),
                         _ann(71, {"id": 2, "email": "b@x.org"}, partial),
                         {**_ann(72, 3, []), "was_cancelled": True}])]
    sets = import_export(tasks, "export.json")
    assert not sets.errors, sets.errors
    assert sorted(sets.sets) == ["a@x.org", "b@x.org"]
    assert sets.sets["a@x.org"][0].events == doc.events
    assert sets.sets["b@x.org"][0].events[2].type == "ATTACK"
    assert any("cancelled" in p.message for p in sets.problems)
    (a, b, n, report), = pairwise_reports(sets, bootstrap=0)
    m = report.to_json()["metrics"]
    assert (a, b, n) == ("a@x.org", "b@x.org", 1)
    assert m["trigger_identification"]["f1"] == 1.0
    assert m["trigger_classification"]["f1"] == pytest.approx(2 / 3)
    assert m["number_span"]["f1"] == 1.0
    md = agreement_markdown(sets, bootstrap=0)
    assert "| Trigger + type | 0.667 |" in md and "a@x.org vs b@x.org" in md


def test_annotator_created_region_ids_become_tally_ids():
    doc = unicode_doc()
    res = copy.deepcopy(layers_to_results(doc))
    rename = {"e1": "Xq3_-9aBcd", "n1": "_7hGt2k1Lm", "t1": "9fK2pQ0wEr"}
    for r in res:
        for key in ("id", "from_id", "to_id"):
            if r.get(key) in rename:
                r[key] = rename[r[key]]
    w = Where("x", 1, 1)
    back = results_to_document(document_meta(doc), doc.text, res, w)
    assert not [p for p in w.problems if p.severity == "error"]
    assert back.events[0].id == "Xq3_-9aBcd"  # a valid Tally id is kept
    assert back.numbers[0].id == "n1" and back.times[0].id == "t1"  # others renumbered
    assert back.events[1].coref == "Xq3_-9aBcd" and back.events[1].time == "t1"


@pytest.mark.parametrize("bad", ["not json", "{\"a\": 1}"])
def test_import_command_rejects_a_file_that_is_not_an_export(tmp_path, bad):
    from typer.testing import CliRunner

    from tally.cli import app

    f = tmp_path / "export.json"
    f.write_text(bad, encoding="utf-8")
    res = CliRunner().invoke(app, ["labelstudio", "import", str(f), "-o", str(tmp_path / "o")])
    assert res.exit_code == 1 and "Traceback" not in res.output


def test_import_and_agreement_commands(tmp_path):
    from typer.testing import CliRunner

    from tally.cli import app

    doc = unicode_doc()
    res = layers_to_results(doc)
    f = tmp_path / "export.json"
    f.write_text(json.dumps([_task(doc, [_ann(70, 1, res), _ann(71, 2, res)])]), "utf-8")
    run = CliRunner().invoke(app, ["labelstudio", "import", str(f), "-o", str(tmp_path / "o")])
    assert run.exit_code == 0, run.output
    lines = (tmp_path / "o" / "user1.jsonl").read_text("utf-8").splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["id"] == doc.id
    run = CliRunner().invoke(app, ["labelstudio", "agreement", str(f), "--bootstrap", "0"])
    assert run.exit_code == 0, run.output
    assert "| Number span | 1.000 |" in run.stdout
