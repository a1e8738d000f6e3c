"""The hand-worked seed article of eval/METRICS.md, frozen."""

from __future__ import annotations

import pytest

from tally.eval import METRICS, compare, evaluate, load_gold
from tests.eval_seed_fixture import SEED_GOLD, SEED_TEXT_DIR, as_prediction, seed_prediction

pytestmark = pytest.mark.skipif(
    not (SEED_TEXT_DIR / "efe-myanmar-2023-11-17.txt").is_file(),
    reason=f"seed text not available in {SEED_TEXT_DIR} (copyrighted, not in the repository)")


@pytest.fixture(scope="module")
def gold():
    return load_gold(SEED_GOLD, [SEED_TEXT_DIR])


@pytest.fixture(scope="module")
def pred(gold):
    return seed_prediction(gold[0])


# (metric, gold, predicted, matched, f1) worked by hand in METRICS.md, exact regime.
EXACT = [
    ("trigger_identification", 28, 29, 27, 54 / 57),
    ("trigger_classification", 28, 29, 26, 52 / 57),
    ("argument_identification", 38, 38, 36, 36 / 38),
    ("argument_classification", 38, 38, 36, 36 / 38),
    ("argument_identification_trigger_free", 38, 38, 37, 37 / 38),
    ("argument_classification_trigger_free", 38, 38, 37, 37 / 38),
    ("number_span", 12, 11, 11, 22 / 23),
    ("number_event_link", 11, 10, 10, 20 / 21),
    ("tally_strict", 10, 9, 7, 14 / 19),
    ("tally_soft", 10, 9, 8.5, 17 / 19),
    ("tally_strict_explicit", 9, 8, 6, 12 / 17),
    ("tally_soft_explicit", 9, 8, 7.5, 15 / 17),
]
ACCURACY = [("number_value", 11, 11), ("number_bounds", 10, 11), ("number_kind", 11, 11),
            ("factuality", 25, 26), ("attribution", 25, 26)]


@pytest.mark.parametrize(("name", "g", "p", "m", "f1"), EXACT)
def test_exact_regime_hand_worked(gold, pred, name, g, p, m, f1):
    r = evaluate(gold, [pred], bootstrap=0).metric(name)
    assert (r["gold"], r["predicted"], r["matched"]) == (g, p, m)
    assert r["f1"] == pytest.approx(f1)
    assert r["precision"] == pytest.approx(m / p)
    assert r["recall"] == pytest.approx(m / g)


@pytest.mark.parametrize(("name", "correct", "total"), ACCURACY)
def test_accuracies_hand_worked(gold, pred, name, correct, total):
    r = evaluate(gold, [pred], bootstrap=0).metric(name)
    assert (r["correct"], r["total"]) == (correct, total)
    assert r["accuracy"] == pytest.approx(correct / total)


def test_b_cubed_hand_worked(gold, pred):
    r = evaluate(gold, [pred], bootstrap=0).metric("coreference_b3")
    assert r["gold"] == 26
    assert r["precision"] == pytest.approx(1.0)
    assert r["recall"] == pytest.approx((8 * 8 / 9 + 1 / 9 + 17) / 26)  # 109/117
    assert r["f1"] == pytest.approx(218 / 226)


@pytest.mark.parametrize("regime", ["overlap", "token_f1"])
def test_lenient_regimes_hand_worked(gold, pred, regime):
    rep = evaluate(gold, [pred], regime=regime, bootstrap=0)
    assert rep.to_json()["regime"] == regime
    assert rep.metric("trigger_identification")["f1"] == pytest.approx(56 / 57)
    assert rep.metric("trigger_classification")["f1"] == pytest.approx(54 / 57)
    assert rep.metric("argument_classification")["f1"] == pytest.approx(37 / 38)
    assert rep.metric("factuality")["accuracy"] == pytest.approx(26 / 27)
    assert rep.metric("coreference_b3")["recall"] == pytest.approx(227 / 243)
    assert rep.metric("coreference_b3")["f1"] == pytest.approx(454 / 470)
    assert rep.metric("tally_strict")["f1"] == pytest.approx(14 / 19)


def test_confusion_and_errors(gold, pred):
    rep = evaluate(gold, [pred], bootstrap=0, errors=5).to_json()
    mat = rep["confusion"]["matrix"]
    assert mat["ARMED_CLASH"]["ATTACK"] == 1
    assert mat["∅"]["ATTACK"] == 1
    assert mat["DESERTION"]["∅"] == 1
    facts = [e for e in rep["errors"] if e["layer"] == "fact"]
    assert {e["error"] for e in facts} == {"false_negative", "false_positive"}
    assert any("DEFECTION.agent" in e["item"] and "more_than" in e["item"] for e in facts)
    trig = [e for e in rep["errors"] if e["layer"] == "trigger"]
    assert any("«violence»" in e["context"] for e in trig)


def test_gold_against_itself_is_perfect_everywhere(gold):
    for regime in ("exact", "overlap", "token_f1"):
        rep = evaluate(gold, [as_prediction(gold[0])], regime=regime, bootstrap=50)
        for name, m in rep.to_json()["metrics"].items():
            main = m["accuracy"] if METRICS[name].kind == "accuracy" else m["f1"]
            assert main == pytest.approx(1.0), (regime, name)
            assert m["precision"] == pytest.approx(1.0) and m["recall"] == pytest.approx(1.0)


def test_empty_prediction_scores_zero(gold):
    from tally.schema.models import Prediction

    rep = evaluate(gold, [Prediction(id=gold[0].id)], bootstrap=20).to_json()
    for name, m in rep["metrics"].items():
        kind = METRICS[name].kind
        if kind == "f1":
            assert m["f1"] == 0 and m["recall"] == 0 and m["gold"] > 0, name
        elif kind == "accuracy":
            assert m["accuracy"] is None and m["f1"] == 0, name
    assert rep["metrics"]["coreference_b3"]["f1"] is None


def test_missing_document_scored_empty_and_listed(gold):
    rep = evaluate(gold, [], bootstrap=0).to_json()
    assert rep["documents"]["missing"] == [gold[0].id]
    assert rep["metrics"]["tally_strict"]["f1"] == 0


def test_compare_seed(gold, pred):
    cmp = compare(gold, [as_prediction(gold[0])], [pred], bootstrap=50, permutations=50)
    m = cmp.to_json()["metrics"]["tally_strict"]
    assert m["difference"] == pytest.approx(1 - 14 / 19)
    assert m["p_randomization"] == pytest.approx(1.0)  # one document: both swaps are as extreme
