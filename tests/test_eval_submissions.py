"""Submissions fail loudly: every problem named (file, line, doc, field); never a traceback."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from tally.cli import app
from tally.eval import evaluate, evaluate_file, load_gold, load_predictions
from tally.schema.diagnostics import TallyError
from tally.schema.jsonl import write_jsonl
from tally.schema.models import Document
from tests.conftest import SMALL_TLY, compile_ok


def _gold(tmp: Path) -> tuple[list[Document], Path]:
    doc = compile_ok(SMALL_TLY)
    other = compile_ok(SMALL_TLY.replace("id: test-001", "id: test-002"))
    path = tmp / "gold.jsonl"
    write_jsonl(path, [doc, other], overwrite=True)
    return load_gold(path), path


def _pred_obj(doc: Document) -> dict:
    d = doc.model_dump(mode="json")
    return {k: d[k] for k in ("id", "events", "numbers", "times", "relations")}


def _write(tmp: Path, objs: list, name: str = "pred.jsonl") -> Path:
    p = tmp / name
    p.write_bytes(b"".join((o if isinstance(o, bytes) else orjson.dumps(o)) + b"\n"
                           for o in objs))
    return p


def _problems(gold, path, allow_missing=False):
    with pytest.raises(TallyError) as ei:
        load_predictions(path, gold, allow_missing=allow_missing)
    with pytest.raises(TallyError) as ei2:  # the streaming path reports the same problems
        evaluate_file(gold, path, allow_missing=allow_missing, bootstrap=0)
    assert [str(p) for p in ei.value.problems] == [str(p) for p in ei2.value.problems]
    return ei.value.problems


def test_valid_submission_loads(tmp_path):
    gold, _ = _gold(tmp_path)
    path = _write(tmp_path, [_pred_obj(d) for d in gold])
    preds = load_predictions(path, gold)
    assert [p.id for p in preds] == ["test-001", "test-002"]
    rep = evaluate_file(gold, path, bootstrap=0)
    assert rep.metric("tally_strict")["f1"] == 1.0
    assert rep.to_json() == evaluate(gold, preds, bootstrap=0).to_json()


def _mutated(gold, fn) -> list[dict]:
    objs = [_pred_obj(d) for d in gold]
    fn(objs[0])
    return objs


CASES = {
    "unknown_type": (lambda o: o["events"][0].update(type="BOMBING"), "events[0].type",
                     "unknown event type"),
    "bad_role": (lambda o: o["events"][0]["arguments"][0].update(role="displaced"),
                 "events[0].arguments[0].role", "not allowed"),
    "offsets_outside": (lambda o: o["events"][0]["trigger"].update(start=900, end=908),
                        "events[0].trigger", "outside the text"),
    "text_mismatch": (lambda o: o["events"][0]["trigger"].update(text="shellinG"),
                      "events[0].trigger", "span says"),
    "dangling_event": (lambda o: o["numbers"][0].update(event="e99"), "numbers[0].event",
                       "does not exist"),
    "dangling_relation": (lambda o: o["relations"][0].update(target="n42"),
                          "relations[0].target", "does not exist"),
    "dangling_time": (lambda o: o["events"][0].update(time="t9"), "events[0].time",
                      "does not exist"),
    "not_countable": (lambda o: o["numbers"][0].update(counted_role="place"),
                      "numbers[0].counted_role", "not countable"),
    "bad_bounds": (lambda o: o["numbers"][0].update(lower=None), "numbers[0].lower/upper",
                   "disagree with qualifier"),
    "schema_error": (lambda o: o["numbers"][0].update(qualifier="roughly"),
                     "numbers.0.qualifier", "Input should be"),
    "extra_field": (lambda o: o.update(score=0.9), "score", "Extra inputs"),
    "duplicate_mention": (lambda o: o["events"][1].update(id="e1"), "id", "used 2 times"),
    "wrong_text": (lambda o: o.update(text="something else"), "text", "differs"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_submission_error_is_named(tmp_path, case):
    gold, _ = _gold(tmp_path)
    fn, field, msg = CASES[case]
    path = _write(tmp_path, _mutated(gold, fn))
    problems = _problems(gold, path)
    hit = [p for p in problems if p.field == field and msg in p.message]
    assert hit, [str(p) for p in problems]
    assert hit[0].line == 1 and hit[0].doc_id == "test-001" and hit[0].file == str(path)


def test_malformed_json_names_the_line(tmp_path):
    gold, _ = _gold(tmp_path)
    path = _write(tmp_path, [_pred_obj(gold[0]), b'{"id": "test-002", "events": [', b"[1, 2]"])
    problems = _problems(gold, path)
    assert any(p.line == 2 and "malformed JSON" in p.message for p in problems)
    assert any(p.line == 3 and "JSON list" in p.message for p in problems)
    # The missing test-002 is reported too (its line was unreadable).
    assert any(p.doc_id == "test-002" and "missing" in p.message for p in problems)


def test_unknown_duplicate_and_missing_ids(tmp_path):
    gold, _ = _gold(tmp_path)
    a = _pred_obj(gold[0])
    ghost = copy.deepcopy(a)
    ghost["id"] = "test-999"
    path = _write(tmp_path, [a, a, ghost])
    problems = _problems(gold, path)
    msgs = {(p.line, p.doc_id, p.message.split(":")[0]) for p in problems}
    assert (2, "test-001", "duplicate document id (first on line 1)") in msgs
    assert (3, "test-999", "unknown document id") in msgs
    assert (None, "test-002", "gold document missing from the predictions") in msgs


def test_allow_missing_scores_empty_and_says_so(tmp_path):
    gold, _ = _gold(tmp_path)
    path = _write(tmp_path, [_pred_obj(gold[0])])
    with pytest.raises(TallyError):
        load_predictions(path, gold)
    rep = evaluate_file(gold, path, allow_missing=True, bootstrap=0).to_json()
    assert rep["documents"]["missing"] == ["test-002"]
    assert rep["metrics"]["tally_strict"]["recall"] == pytest.approx(0.5)


def test_unknown_regime_and_bad_options(tmp_path):
    gold, _ = _gold(tmp_path)
    for kw in ({"regime": "fuzzy"}, {"ci": 1.5}, {"bootstrap": -1}):
        with pytest.raises(TallyError):
            evaluate(gold, [], **kw)


def test_duplicates_counted_not_collapsed(tmp_path):
    gold, _ = _gold(tmp_path)
    objs = [_pred_obj(d) for d in gold]
    ev = copy.deepcopy(objs[0]["events"][0])
    ev["id"] = "e77"
    objs[0]["events"].append(ev)
    rep = evaluate_file(gold, _write(tmp_path, objs), bootstrap=0).to_json()
    assert rep["duplicates"]["events"] == 1
    trig = rep["metrics"]["trigger_classification"]
    assert trig["predicted"] == trig["gold"] + 1 and trig["matched"] == trig["gold"]


# -- fuzzing -------------------------------------------------------------------------------

_FUZZ = settings(max_examples=150, deadline=None,
                 suppress_health_check=[HealthCheck.function_scoped_fixture])


@_FUZZ
@given(data=st.data())
def test_fuzz_corrupted_bytes_raise_only_tally_errors(tmp_path, data):
    gold, _ = _gold(tmp_path)
    raw = bytearray(b"".join(orjson.dumps(_pred_obj(d)) + b"\n" for d in gold))
    for _ in range(data.draw(st.integers(1, 6))):
        op = data.draw(st.sampled_from(["flip", "delete", "insert"]))
        i = data.draw(st.integers(0, len(raw) - 1))
        if op == "flip":
            raw[i] = data.draw(st.integers(0, 255))
        elif op == "delete":
            del raw[i:i + data.draw(st.integers(1, 40))]
        else:
            raw[i:i] = data.draw(st.sampled_from([b"{", b"}", b"\"", b"\n", b"-1", b"null",
                                                  b"[]", b"1e309", b"\xff", b",\"x\":1"]))
    path = tmp_path / "fuzz.jsonl"
    path.write_bytes(bytes(raw))
    try:
        evaluate_file(gold, path, bootstrap=0)
    except TallyError as exc:
        assert exc.problems


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10, 2000) | st.floats(allow_nan=False)
    | st.text(max_size=8),
    lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=6), kids,
                                                              max_size=3),
    max_leaves=8)


@_FUZZ
@given(data=st.data())
def test_fuzz_field_values_raise_only_tally_errors(tmp_path, data):
    """Replace random fields (offsets, ids, types, roles...) with random JSON values."""
    gold, _ = _gold(tmp_path)
    objs = [_pred_obj(d) for d in gold]
    for _ in range(data.draw(st.integers(1, 4))):
        node = objs[data.draw(st.integers(0, 1))]
        for _depth in range(6):  # walk down to a random container
            keys = list(node) if isinstance(node, dict) else list(range(len(node)))
            if not keys:
                break
            k = data.draw(st.sampled_from(keys))
            child = node[k]
            if isinstance(child, (dict, list)) and child and data.draw(st.booleans()):
                node = child
                continue
            node[k] = data.draw(st.sampled_from([data.draw(_json_values), "test-999", -5,
                                                 10**6, "e1", "ATTACK", "victim"]))
            break
    path = _write(tmp_path, objs, "fuzz.jsonl")
    try:
        evaluate_file(gold, path, bootstrap=0)
    except TallyError as exc:
        assert exc.problems


# -- CLI -----------------------------------------------------------------------------------

def test_cli_eval_json_and_errors_exit_1(tmp_path):
    gold, gold_path = _gold(tmp_path)
    runner = CliRunner()
    good = _write(tmp_path, [_pred_obj(d) for d in gold])
    res = runner.invoke(app, ["eval", "--gold", str(gold_path), "--pred", str(good), "--json",
                              "--bootstrap", "10"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["headline"]["f1"] == 1.0 and out["regime"] == "exact"
    res = runner.invoke(app, ["eval", "--gold", str(gold_path), "--pred", str(good),
                              "--markdown", "--regime", "overlap", "--bootstrap", "0"])
    assert res.exit_code == 0 and "regime **overlap**" in res.stdout
    bad = _write(tmp_path, _mutated(gold, CASES["unknown_type"][0]), "bad.jsonl")
    res = runner.invoke(app, ["eval", "--gold", str(gold_path), "--pred", str(bad)])
    assert res.exit_code == 1
    assert "unknown event type" in res.output and "Traceback" not in res.output
    res = runner.invoke(app, ["eval", "--gold", str(gold_path), "--pred", str(tmp_path / "no")])
    assert res.exit_code == 1 and "Traceback" not in res.output
    res = runner.invoke(app, ["eval", "--gold", str(gold_path), "--pred", str(good),
                              "--regime", "fuzzy"])
    assert res.exit_code == 1 and "regime" in res.output


def test_cli_compare(tmp_path):
    gold, gold_path = _gold(tmp_path)
    a = _write(tmp_path, [_pred_obj(d) for d in gold], "a.jsonl")
    objs = [_pred_obj(d) for d in gold]
    objs[0]["numbers"] = objs[0]["numbers"][2:]
    objs[0]["relations"] = []
    b = _write(tmp_path, objs, "b.jsonl")
    res = CliRunner().invoke(app, ["compare", str(a), str(b), "--gold", str(gold_path), "--json",
                                   "--bootstrap", "100", "--permutations", "100"])
    assert res.exit_code == 0, res.output
    m = json.loads(res.stdout)["metrics"]["tally_strict"]
    assert m["difference"] > 0 and m["p_randomization"] is not None


# -- the checker's one-pass semantic check agrees with the detailed one ----------------------

_SEM_VALUES = st.sampled_from(["e1", "e2", "n1", "n2", "t1", "t9", "ATTACK", "DISPLACEMENT",
                               "BOMBING", "victim", "place", "displaced", "agent", None])


@_FUZZ
@given(data=st.data())
def test_semantics_fast_check_agrees_with_the_detailed_one(tmp_path, data):
    """`_semantics_ok` (the common-case pass) is True exactly when `_semantics` finds nothing."""
    from tally.eval.loading import SubmissionChecker, _semantics_ok, gold_index
    from tally.eval.plain import from_model

    gold, _ = _gold(tmp_path)
    checker = SubmissionChecker(gold_index(gold), "pred.jsonl")
    p = from_model(gold[data.draw(st.integers(0, 1))])
    for _ in range(data.draw(st.integers(0, 3))):
        what = data.draw(st.sampled_from(["event", "arg", "number", "relation", "bounds"]))
        if what == "event" and p.events:
            ev = data.draw(st.sampled_from(p.events))
            setattr(ev, data.draw(st.sampled_from(["id", "type", "time"])),
                    data.draw(_SEM_VALUES) or "e1")
        elif what == "arg" and any(e.args for e in p.events):
            ev = data.draw(st.sampled_from([e for e in p.events if e.args]))
            k = data.draw(st.integers(0, len(ev.args) - 1))
            ev.args[k] = (data.draw(_SEM_VALUES) or "agent", ev.args[k][1])
        elif what == "number" and p.numbers:
            n = data.draw(st.sampled_from(p.numbers))
            field = data.draw(st.sampled_from(["id", "event", "counted_role", "kind"]))
            value = data.draw(_SEM_VALUES)
            setattr(n, field, value if field != "kind" else
                    data.draw(st.sampled_from(["event_count", "date", "other"])))
        elif what == "bounds" and p.numbers:
            n = data.draw(st.sampled_from(p.numbers))
            n.qualifier = data.draw(st.sampled_from(["exact", "approximate", "at_least",
                                                     "at_most", "more_than", "range"]))
            n.lower = data.draw(st.sampled_from([None, n.value, n.value - 1]))
            n.upper = data.draw(st.sampled_from([None, n.value, n.value + 1]))
            n.lower_inclusive = data.draw(st.booleans())
        elif what == "relation" and p.relations:
            k = data.draw(st.integers(0, len(p.relations) - 1))
            typ, src, _ = p.relations[k]
            p.relations[k] = (typ, src, data.draw(_SEM_VALUES) or "n1")
    checker.problems.clear()
    checker._semantics(p, 1)
    assert _semantics_ok(p, checker.role_sets) == (not checker.problems), checker.problems
