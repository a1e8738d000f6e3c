"""The exact-regime fast path (eval/fast.py) gives the reference path's report, bit for bit.

Gold: the real corpus, compiled with `tally compile data/authoring` (or, while writers have a file
half-written and the command refuses, file by file keeping the valid documents). Predictions:
perturbed copies (tests/eval_perturb.py) at three error rates, plus gold itself, empty
predictions and a submission with missing documents. Every comparison is of the whole JSON report
(every figure, breakdown, CI, confusion and duplicate count), `reference=True` being the simple
path that scored everything before the fast path existed.
"""

from __future__ import annotations

import gc
import random
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from tally.eval import compare, evaluate, evaluate_file, load_gold
from tally.eval.api import _accumulator
from tally.eval.fast import FastAccumulator
from tally.eval.loading import gc_paused
from tally.eval.plain import from_json_fast
from tally.schema.models import Document, Prediction
from tests.conftest import DATA
from tests.eval_perturb import perturb
from tests.test_eval_corpus import _corpus


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> list[Document]:
    out = tmp_path_factory.mktemp("corpus") / "corpus.jsonl"
    tally = Path(sys.executable).with_name("tally")
    cmd = [str(tally), "compile", str(DATA / "authoring"), "-o", str(out), "--force"]
    done = subprocess.run(cmd, capture_output=True, text=True)
    gold = load_gold([out]) if done.returncode == 0 else _corpus()
    if len(gold) < 20:
        pytest.skip("too few compilable documents in data/authoring")
    return gold


def _write(path: Path, preds: list[dict]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(p) + b"\n" for p in preds))
    return path


def _same(fast: dict, ref: dict) -> None:
    for name in ref["metrics"]:
        assert fast["metrics"][name] == ref["metrics"][name], name
    assert fast == ref


@pytest.mark.parametrize(("seed", "rate"), [(0, 0.1), (1, 0.25), (2, 0.5)])
def test_fast_equals_reference_on_perturbed_corpus(corpus, tmp_path, seed, rate):
    rng = random.Random(seed)
    preds = [perturb(d, rng, rate) for d in corpus]
    path = _write(tmp_path / "pred.jsonl", preds)
    opts = {"bootstrap": 200, "seed": seed}
    ref = evaluate_file(corpus, path, reference=True, **opts).to_json()
    _same(evaluate_file(corpus, path, **opts).to_json(), ref)
    # The library path (pydantic predictions) too.
    models = [Prediction.model_validate(p) for p in preds]
    _same(evaluate(corpus, models, **opts).to_json(), ref)
    assert ref["metrics"]["tally_strict"]["f1"] < 1.0
    # Sanity: the perturbations reach every layer.
    assert sum(ref["duplicates"].values()) > 0
    assert ref["metrics"]["tally_soft"]["matched"] > ref["metrics"]["tally_strict"]["matched"]


def test_fast_equals_reference_self_empty_missing(corpus, tmp_path):
    full = [Prediction(id=d.id, events=d.events, numbers=d.numbers, times=d.times,
                       relations=d.relations) for d in corpus]
    for preds in (full, [Prediction(id=d.id) for d in corpus]):
        _same(evaluate(corpus, preds, bootstrap=50).to_json(),
              evaluate(corpus, preds, bootstrap=50, reference=True).to_json())
    rng = random.Random(7)
    half = [perturb(d, rng) for d in corpus[::2]]
    path = _write(tmp_path / "half.jsonl", half[::-1])  # another order than the gold's
    fast = evaluate_file(corpus, path, allow_missing=True, bootstrap=100).to_json()
    assert fast["documents"]["missing"]
    _same(fast, evaluate_file(corpus, path, allow_missing=True, bootstrap=100,
                              reference=True).to_json())


def test_fast_compare_equals_reference(corpus):
    a = [Prediction.model_validate(perturb(d, random.Random(i), 0.2))
         for i, d in enumerate(corpus)]
    b = [Prediction.model_validate(perturb(d, random.Random(i + 1000), 0.3))
         for i, d in enumerate(corpus)]
    opts = {"bootstrap": 100, "permutations": 100}
    assert (compare(corpus, a, b, **opts).to_json()
            == compare(corpus, a, b, reference=True, **opts).to_json())


def test_fast_path_is_the_default_only_where_it_applies():
    assert isinstance(_accumulator("exact", 0, 1.0, False), FastAccumulator)
    for args in (("overlap", 0, 1.0, False), ("token_f1", 0, 1.0, False),
                 ("exact", 5, 1.0, False), ("exact", 0, 1.0, True)):
        assert not isinstance(_accumulator(*args), FastAccumulator)


def test_gc_paused_restores_the_collector():
    assert gc.isenabled()
    with pytest.raises(ValueError), gc_paused():
        assert not gc.isenabled()
        raise ValueError
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_fast_json_reader_still_doubts_bad_ids_after_good_ones():
    ok = {"id": "d1", "events": [], "numbers": [], "times": [],
          "relations": [{"type": "restates", "source": "n1", "target": "n2"}]}
    assert from_json_fast(ok) is not None
    for bad in ("1n", "n 1", "", "n" * 65, 1, None, ["n1"], {"n1": 1}):
        obj = dict(ok, relations=[{"type": "restates", "source": bad, "target": "n2"}])
        assert from_json_fast(obj) is None, bad


def test_fact_matchings_agree_with_linear_sum_assignment():
    """The fast path's two shortcuts against scipy on random credit matrices."""
    import numpy as np

    from tally.eval.fast import _forced, _max_matching
    from tally.eval.scoring import _assign

    rng = random.Random(3)
    for _ in range(300):
        ng, npr = rng.randint(1, 6), rng.randint(1, 6)
        pairs = [(i, j, 1.0) for i in range(ng) for j in range(npr) if rng.random() < 0.35]
        w = np.zeros((ng, npr))
        for i, j, c in pairs:
            w[i, j] = c
        assert len(_max_matching(pairs)) == len(_assign(w))
        rows, cols = rng.sample(range(ng), min(ng, npr)), rng.sample(range(npr), min(ng, npr))
        soft = [(i, j, rng.random() + 0.01) for i, j in zip(rows, cols, strict=True)
                if rng.random() < 0.7]
        w = np.zeros((ng, npr))
        for i, j, c in soft:
            w[i, j] = c
        assert _forced(soft) == _assign(w)
