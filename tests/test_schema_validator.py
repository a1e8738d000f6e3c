"""Every validator rule, each with a failing example built by mutating a valid document."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from tally.schema.models import Document
from tally.schema.validate import DocumentChecker, validate_paths


def _check(d: dict) -> list[str]:
    doc = Document.model_validate(d)
    return [f"{p.field}: {p.message}" for p in DocumentChecker().check(doc, "f.jsonl", 1)
            if p.severity == "error"]


def _span(d: dict, start: int, end: int) -> dict:
    return {"start": start, "end": end, "text": d["text"][start:end]}


def test_small_doc_is_valid(small_doc):
    assert _check(small_doc.model_dump()) == []


def _ev(d, i=0):
    return d["events"][i]


def _num(d, nid):
    return next(n for n in d["numbers"] if n["id"] == nid)


MUTATIONS = {
    "format_version": (lambda d: d.update(format_version="9.9"), "format_version"),
    "hash": (lambda d: d.update(text_sha256="0" * 64), "text_sha256"),
    "offsets_outside": (lambda d: _ev(d)["trigger"].update(
        start=len(d["text"]) + 1, end=len(d["text"]) + 9, text="x" * 8), "outside the text"),
    "span_text_mismatch": (
        lambda d: _ev(d)["trigger"].update(text="X" * len(_ev(d)["trigger"]["text"])), "span says"),
    "duplicate_ids": (lambda d: d["numbers"][1].update(id="n1"), "used 2 times"),
    "unknown_type": (lambda d: _ev(d).update(type="PICNIC"), "unknown event type"),
    "role_not_allowed": (lambda d: _ev(d)["arguments"][0].update(role="detainee"), "not allowed"),
    "implicit_not_countable": (lambda d: _ev(d).update(implicit_counts=[
        {"role": "place", "counted_class": "places", "value": 1, "scope": "incident"}]),
        "not countable"),
    "argument_repeated": (lambda d: _ev(d)["arguments"].append(dict(_ev(d)["arguments"][0])),
                          "repeated"),
    "dangling_time": (lambda d: _ev(d).update(time="t9"), "does not exist"),
    "asserted_with_source": (lambda d: _ev(d).update(source=_ev(d)["trigger"]), "asserted event"),
    "reported_without_source": (lambda d: _ev(d, 3).update(source=None), "without a source"),
    "coref_chain": (lambda d: (_ev(d, 3).update(coref="e2"), _ev(d, 1).update(coref="e9")),
                    "itself in cluster"),
    "coref_mixed_types": (lambda d: _ev(d, 1).update(coref="e1"), "mixes types"),
    "bounds_exact": (lambda d: _num(d, "n3").update(upper=30), "disagree with qualifier exact"),
    "bounds_at_least": (lambda d: _num(d, "n1").update(upper=20), "at_least"),
    "bounds_more_than": (lambda d: _num(d, "n1").update(qualifier="more_than"), "more_than"),
    "bounds_at_most": (lambda d: _num(d, "n1").update(qualifier="at_most"), "at_most"),
    "bounds_less_than": (lambda d: _num(d, "n1").update(qualifier="less_than"), "less_than"),
    "bounds_range": (lambda d: _num(d, "n1").update(qualifier="range"), "range"),
    "bounds_vague": (lambda d: _num(d, "n3").update(qualifier="vague", lower=30), "vague"),
    "count_without_link": (lambda d: _num(d, "n3").update(counted_class=None),
                           "without counted_class"),
    "count_dangling_event": (lambda d: _num(d, "n3").update(event="e42"), "does not exist"),
    "count_role_not_countable": (lambda d: _num(d, "n3").update(counted_role="place"),
                                 "not countable"),
    "non_count_with_link": (lambda d: _num(d, "n3").update(kind="age"), "with an event link"),
    "time_bad_date": (lambda d: d["times"][0].update(value="12/05/2024"), "not an ISO 8601"),
    "time_impossible_date": (lambda d: d["times"][0].update(value="2024-13", precision="month"),
                             "calendar date"),
    "time_impossible_week": (lambda d: d["times"][0].update(value="2024-W60", precision="week"),
                             "calendar date"),
    "dateline_impossible": (lambda d: d["dateline"].update(date="2024-02-30"), "not a calendar"),
    "relation_symmetric_repeat": (lambda d: d["relations"].append(
        {"type": "restates", "source": "n1", "target": "n2"}), "n1->n2 repeated"),
    "relation_kind_mismatch": (lambda d: (d["relations"].append(
        {"type": "conflicts_with", "source": "n3", "target": "n1"}),
        _num(d, "n3").update(kind="age", event=None, counted_role=None, counted_class=None,
                             scope=None)), "between a age and a event_count"),
    "time_precision": (lambda d: d["times"][0].update(precision="month"), "precision"),
    "time_bad_duration": (lambda d: d["times"][0].update(type="duration", value="P2X",
                                                         precision=None), "duration"),
    "relation_dangling": (lambda d: d["relations"][0].update(target="n99"), "does not exist"),
    "relation_self": (lambda d: d["relations"][0].update(target="n2"), "related to itself"),
    "relation_repeated": (lambda d: d["relations"].append(dict(d["relations"][0])), "repeated"),
    "part_of_exceeds_whole": (lambda d: (_num(d, "n2").update(qualifier="exact", lower=12.0,
                                                              upper=12.0),
                                         _num(d, "n4").update(value=13.0, lower=13.0,
                                                              upper=13.0)), "sum to 13"),
    "numbers_overlap": (lambda d: _num(d, "n3").update(span=_span(d, _num(d, "n2")["span"]["start"],
                                                                  _num(d, "n3")["span"]["end"])),
                        "overlap"),
    "number_overlaps_time": (lambda d: d["numbers"].append({
        **_num(d, "n4"), "id": "n9", "kind": "date", "event": None, "counted_role": None,
        "counted_class": None, "scope": None,
        "span": _span(d, d["times"][0]["span"]["start"], d["times"][0]["span"]["end"])}),
        "overlaps time expression"),
    "numeral_not_covered": (
        lambda d: d.update(numbers=[n for n in d["numbers"] if n["id"] != "n3"]), "'twenty' at"),
}


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_rule_fails_on_its_example(small_doc, name):
    mutate, expected = MUTATIONS[name]
    d = copy.deepcopy(small_doc.model_dump(mode="json"))
    mutate(d)
    errors = _check(d)
    assert any(expected in e for e in errors), errors


def test_overlaps_are_checked_without_text(small_doc):
    d = copy.deepcopy(small_doc.model_dump(mode="json"))
    MUTATIONS["numbers_overlap"][0](d)
    d["text"] = None
    assert any("overlap" in e for e in _check(d))


def test_schema_errors_name_the_field(tmp_path: Path, small_doc):
    d = small_doc.model_dump(mode="json")
    d["numbers"][0]["qualifier"] = "roughly"
    del d["genre"]
    d["surprise"] = 1
    f = tmp_path / "bad.jsonl"
    f.write_text(Document.model_validate(small_doc.model_dump()).model_dump_json() + "\n"
                 + __import__("json").dumps(d) + "\n{not json\n")
    docs, problems = validate_paths([f])
    fields = {(p.line, p.field) for p in problems}
    assert (2, "numbers.0.qualifier") in fields
    assert (2, "genre") in fields
    assert (2, "surprise") in fields
    assert any(p.line == 3 and "malformed JSON" in p.message for p in problems)
    assert all(p.file == str(f) for p in problems)
    assert any(p.doc_id == "test-001" and p.line == 2 for p in problems)


def test_duplicate_document_ids_across_files(tmp_path: Path, small_doc):
    for name in ("a.jsonl", "b.jsonl"):
        (tmp_path / name).write_text(small_doc.model_dump_json() + "\n")
    _, problems = validate_paths([tmp_path])
    dup = [p for p in problems if "duplicate document id" in p.message]
    assert len(dup) == 1 and dup[0].file.endswith("b.jsonl") and dup[0].doc_id == "test-001"


def test_span_model_rejects_inverted_and_wrong_length():
    from pydantic import ValidationError

    from tally.schema.models import Span

    with pytest.raises(ValidationError):
        Span(start=5, end=3, text="ab")
    with pytest.raises(ValidationError):
        Span(start=0, end=3, text="ab")
