"""Bootstrap determinism, paired tests, soft credit and source normalisation."""

from __future__ import annotations

import math

import pytest

from tally.eval import compare, evaluate
from tally.eval.facts import log_interval, normalise_source, soft_credit
from tally.schema.models import Prediction
from tests.conftest import SMALL_TLY, compile_ok


def _gold(n: int = 12):
    return [compile_ok(SMALL_TLY.replace("id: test-001", f"id: test-{i:03d}")) for i in range(n)]


def _pred(doc, drop: bool) -> Prediction:
    nums = doc.numbers[2:] if drop else doc.numbers
    rels = [] if drop else doc.relations
    return Prediction(id=doc.id, events=doc.events, numbers=nums, times=doc.times, relations=rels)


def test_bootstrap_deterministic_under_seed():
    gold = _gold()
    preds = [_pred(d, i % 3 == 0) for i, d in enumerate(gold)]
    a = evaluate(gold, preds, bootstrap=300, seed=7).to_json()
    b = evaluate(gold, list(reversed(preds)), bootstrap=300, seed=7).to_json()
    c = evaluate(gold, preds, bootstrap=300, seed=8).to_json()
    h = a["metrics"]["tally_strict"]
    assert (h["ci_low"], h["ci_high"]) == (b["metrics"]["tally_strict"]["ci_low"],
                                           b["metrics"]["tally_strict"]["ci_high"])
    assert h["ci_low"] < h["f1"] < h["ci_high"]
    assert a["metrics"] != c["metrics"]  # another seed, other resamples
    assert a == evaluate(gold, preds, bootstrap=300, seed=7).to_json()


def test_compare_identical_systems_and_clear_difference():
    gold = _gold()
    same = compare(gold, [_pred(d, False) for d in gold], [_pred(d, False) for d in gold],
                   bootstrap=100, permutations=100).to_json()["metrics"]["tally_strict"]
    assert same["difference"] == 0 and same["p_randomization"] == 1.0
    diff = compare(gold, [_pred(d, False) for d in gold], [_pred(d, True) for d in gold],
                   bootstrap=200, permutations=200, seed=3).to_json()["metrics"]["tally_strict"]
    assert diff["difference"] > 0
    assert diff["p_randomization"] < 0.01 and diff["ci_low"] > 0


def test_soft_credit_hand_checks():
    t = lambda x: math.log10(1 + x)  # noqa: E731
    assert soft_credit(log_interval(750, 750), log_interval(750, 750)) == 1.0
    assert soft_credit(log_interval(750, 750), log_interval(800, 800)) == pytest.approx(
        1 - (t(800) - t(750)))
    assert soft_credit(log_interval(200, None), log_interval(200, 200)) == pytest.approx(0.5)
    assert soft_credit(log_interval(40, None), log_interval(750, 750)) == pytest.approx(0.23714,
                                                                                          abs=1e-5)
    assert soft_credit(log_interval(200, 200), log_interval(2000, 2000)) < 0.01
    assert log_interval(None, 50) == pytest.approx((t(50) - 1, t(50)))


@pytest.mark.parametrize(("raw", "norm"), [
    ("The NUG", "nug"), ("the United Nations,", "united nations"), (None, ""),
    ("“Opposition sources”", "opposition sources"), ("A  spokesperson", "spokesperson"),
    ("reportedly", "reportedly"),
])
def test_source_normalisation(raw, norm):
    assert normalise_source(raw) == norm
