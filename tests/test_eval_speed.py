"""The scorer's speed changes keep every result: each fast path against what it replaced.

- the numeral regex (prefix-factored words) against the flat alternation it replaced;
- the inlined JSON prediction reader against pydantic on corrupted predictions: whenever it
  accepts an object, pydantic accepts it too and gives the same plain record;
- the gold hash, computed once per `load_gold` result, against the hash of a plain list;
- the collector after `gc_paused`: enabled again, nothing left frozen, a caller's frozen
  objects left alone.
"""

from __future__ import annotations

import gc
import random
import re

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from tally.eval import evaluate, load_gold
from tally.eval.loading import GoldDocuments, gc_paused, gold_sha256
from tally.eval.plain import from_json_fast, from_model
from tally.schema.models import Prediction
from tally.schema.numerals import _DIGITS, NUMBER_WORDS, NUMERAL_RE, find_numerals
from tests.eval_perturb import perturb
from tests.test_eval_corpus import _corpus

FLAT = re.compile(rf"(?<![\w]){_DIGITS}|\b(?:{'|'.join(NUMBER_WORDS)})\b", re.IGNORECASE)


def _flat(text: str) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), m.group()) for m in FLAT.finditer(text)]


# Words, their prefixes and extensions, case variants (ſ folds to s, K to k under IGNORECASE),
# digits of other scripts, separators and word characters that touch numerals.
_PIECES = NUMBER_WORDS + [w[:-1] for w in NUMBER_WORDS] + [w + "s" for w in NUMBER_WORDS] + [
    "TWO", "Thousand", "ſix", "ſeven", "tſ", "\u212aten", "٣", "12", "1,000", "3.5", "1.2.3",
    "_", "a", "x1", "1x", " ", "-", ",", ".", "\n", "’", "é", "twenty-five", "one", "zero"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=30), st.lists(st.sampled_from(["", " ", "_"]),
                                                              max_size=30))
def test_numeral_regex_equals_the_flat_alternation(pieces, glue):
    text = "".join(p + (glue[i] if i < len(glue) else "") for i, p in enumerate(pieces))
    assert find_numerals(text) == _flat(text)


def test_numeral_regex_on_the_corpus_texts():
    texts = [d.text for d in _corpus() if d.text]
    assert texts
    for t in texts:
        assert find_numerals(t) == _flat(t)
    assert NUMERAL_RE.flags & re.IGNORECASE


_BAD = (None, "", "x y", "1n", 1, -1, 0, 1.5, True, [], {}, "asserted", "exact", "e1")


def _mutations(obj, rng: random.Random, k: int):
    """Copies of a prediction object with one field somewhere replaced by a wrong value."""
    paths = []

    def walk(o, path):
        if isinstance(o, dict):
            for key, v in o.items():
                paths.append(path + (key,))
                walk(v, path + (key,))
        elif isinstance(o, list):
            for i, v in enumerate(o):
                walk(v, path + (i,))

    walk(obj, ())
    for _ in range(k):
        path = rng.choice(paths)
        new = orjson.loads(orjson.dumps(obj))
        target = new
        for p in path[:-1]:
            target = target[p]
        if rng.random() < 0.15 and isinstance(target, dict):
            del target[path[-1]]  # a missing field
        else:
            target[path[-1]] = rng.choice(_BAD)
        yield new


def test_inlined_json_reader_agrees_with_pydantic():
    rng = random.Random(11)
    docs = _corpus()[:40]
    accepted = rejected = 0
    for d in docs:
        pred = perturb(d, rng, 0.2)
        for obj in [pred, *_mutations(pred, rng, 60)]:
            fast = from_json_fast(obj)
            try:
                model = Prediction.model_validate(obj)
            except ValueError:
                assert fast is None, obj
                rejected += 1
                continue
            if fast is not None:
                assert fast == from_model(model)
                accepted += 1
    assert accepted > 100 and rejected > 100


def test_gold_hash_once_per_load_and_equal_to_a_plain_lists(tmp_path):
    docs = _corpus()[:30]
    path = tmp_path / "gold.jsonl"
    path.write_bytes(b"".join(orjson.dumps(d.model_dump(mode="json")) + b"\n" for d in docs))
    gold = load_gold([path])
    assert isinstance(gold, GoldDocuments) and isinstance(gold, list)
    plain = list(gold)
    h = gold_sha256(gold)
    assert h == gold_sha256(plain) == gold_sha256(plain[::-1])  # sorted by id either way
    assert gold_sha256(gold) == h and gold._hashed[1] == h
    preds = [Prediction(id=d.id) for d in gold]
    assert (evaluate(gold, preds, bootstrap=0).to_json()["gold_sha256"]
            == evaluate(plain, preds, bootstrap=0).to_json()["gold_sha256"] == h)
    gold.pop()  # a changed list is hashed again
    assert gold_sha256(gold) == gold_sha256(list(gold)) != h


def test_gc_paused_leaves_nothing_frozen_and_keeps_a_callers_freeze():
    assert gc.get_freeze_count() == 0
    with gc_paused():
        kept = [[i] for i in range(1000)]
    assert gc.isenabled() and gc.get_freeze_count() == 0
    assert gc.is_tracked(kept[0])
    gc.freeze()  # a caller that froze its own objects
    try:
        frozen = gc.get_freeze_count()
        assert frozen > 0
        with gc_paused():
            made = [[i] for i in range(1000)]
        # Frozen objects may still be freed by reference counting meanwhile (seen in CI: the
        # count dropped by 2), so the count may fall a little; it must neither grow by our 1000
        # objects (nothing of ours frozen) nor drop to 0 (the caller's freeze kept).
        after = gc.get_freeze_count()
        assert frozen - 100 <= after <= frozen and gc.is_tracked(made[0])
    finally:
        gc.unfreeze()
