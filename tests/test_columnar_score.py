"""The columnar layer metrics (eval/columnar_score.py) equal the per-document fast path's.

Reference: `api._score_all` with a FastAccumulator (fast.score_exact, gold prepared per
document, so its gold-side keys are counted too) on the real corpus. Compared, bit for bit: the
rows' columns of every layer metric (the four tally_* fact metrics belong to columnar_facts.py),
their breakdown counts, the trigger confusion and the events/arguments/numbers duplicate counts.
Predictions: gold itself, empty, missing documents, perturbed copies (tests/eval_perturb.py) in
gold and shuffled submission order, and hypothesis-drawn mutations that keep them valid.
"""

from __future__ import annotations

import copy
import math
import random
from collections import Counter
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tally.eval.columnar_score as cs
from tally.eval import load_gold
from tally.eval.api import _score_all
from tally.eval.columns import Columns, from_pdocs
from tally.eval.fast import FastAccumulator, prepare_gold
from tally.eval.loading import SubmissionChecker, gold_index
from tally.eval.plain import PDoc, PEvent, PNumber, from_json_fast, from_model
from tally.eval.scoring import COLUMNS, METRIC_NAMES, plain_sum
from tally.schema.models import Document
from tally.schema.ontology import load_ontology
from tests.conftest import DATA
from tests.eval_perturb import perturb

LAYERS = [m for m in METRIC_NAMES if not m.startswith("tally_")]
MINE = [c for i, m in enumerate(METRIC_NAMES) if m in LAYERS
        for c in range(i * COLUMNS, (i + 1) * COLUMNS)]
OTHERS = [c for c in range(len(METRIC_NAMES) * COLUMNS) if c not in MINE]
DUPS = ("events", "arguments", "numbers")


@pytest.fixture(scope="module")
def corpus() -> tuple[list[Document], Columns]:
    gold = load_gold([DATA / f"{s}.jsonl" for s in ("train", "dev", "test")])
    return gold, from_pdocs([from_model(d) for d in gold])


def _perturbed(gold: list[Document], seed: int, rate: float) -> list[PDoc]:
    rng = random.Random(seed)
    return [from_json_fast(perturb(d, rng, rate)) for d in gold]


def _check(gold: list[Document], gold_cols: Columns, preds: list[PDoc]) -> None:
    _compare(gold_index(gold), [d.id for d in gold], gold_cols, preds)


def _compare(index: dict, gold_ids: list[str], gold_cols: Columns, preds: list[PDoc]) -> None:
    """Score `preds` (in submission order) both ways and compare everything score_layers owns."""
    acc = FastAccumulator("exact", 0)
    ref, _, _ = _score_all(index, preds, acc)
    by_id = {p.id: p for p in preds}
    rows = np.zeros((len(gold_ids), len(METRIC_NAMES) * COLUMNS))
    counts, confusion, dups = Counter(), Counter(), Counter()
    cs.score_layers(gold_cols, from_pdocs([by_id.get(i) for i in gold_ids]), rows, counts,
                    confusion, dups)
    for c in MINE:  # bit for bit, -0.0 included
        assert rows[:, c].tobytes() == ref[:, c].tobytes(), METRIC_NAMES[c // COLUMNS]
    assert not rows[:, OTHERS].any()
    assert dict(counts) == {k: v for k, v in acc.counts.items() if k[0] in LAYERS}
    assert dict(confusion) == dict(acc.confusion)
    assert set(dups) <= set(DUPS)
    assert {k: dups[k] for k in DUPS} == {k: acc.duplicates[k] for k in DUPS}


def test_self_empty_missing(corpus):
    gold, cols = corpus
    golds = [from_model(d) for d in gold]
    _check(gold, cols, golds)
    _check(gold, cols, [PDoc(d.id, None) for d in gold])
    _check(gold, cols, _perturbed(gold, 7, 0.25)[::3])
    _check(gold, cols, [])


@pytest.mark.parametrize(("seed", "rate"), [(0, 0.1), (1, 0.1), (2, 0.25), (3, 0.25), (4, 0.5),
                                            (5, 0.5)])
def test_perturbed(corpus, seed, rate):
    gold, cols = corpus
    preds = _perturbed(gold, seed, rate)
    _check(gold, cols, preds)
    random.Random(seed).shuffle(preds)  # submission order does not matter
    _check(gold, cols, preds)


def test_keys_renumbered_when_bits_run_out(corpus, monkeypatch):
    """Every key overflows a 12-bit budget: the dense renumbering path gives the same."""
    gold, cols = corpus
    monkeypatch.setattr(cs, "_KEY_BITS", 12)
    _check(gold, cols, _perturbed(gold, 11, 0.5))


def test_chunks_add_up(corpus, monkeypatch):
    """Documents scored in chunks (of 7 here) give the same as in one go."""
    gold, cols = corpus
    monkeypatch.setattr(cs, "_CHUNK_DOCS", 7)
    preds = _perturbed(gold, 12, 0.5)
    _check(gold, cols, preds[5:])


def test_keys_equal_exactly_when_tuples_are():
    rng = np.random.default_rng(0)
    big = rng.integers(-2**40, 2**40, 300)
    cols = [rng.integers(0, 3, 300), big[rng.integers(0, 5, 300)], rng.integers(-1, 2, 300),
            big[rng.integers(0, 4, 300)]]
    tuples = list(zip(*(c.tolist() for c in cols), strict=True))
    key = cs._keys(*((c[:100], c[100:]) for c in cols))
    for a in range(0, 300, 7):
        for b in range(300):
            assert (key[a] == key[b]) == (tuples[a] == tuples[b])
            assert (key[a] < key[b]) == (tuples[a] < tuples[b])


def test_close_is_math_isclose():
    vals = [0.0, -0.0, 1e-13, 1e-12, 2e-12, 1.0, 1.0 + 1e-10, 1.0 + 1e-8, -1.0, 1e308, -1e308,
            5e-324, 123456789.0, 123456789.1, math.inf, -math.inf, math.nan]
    # near the tolerances, where np.isclose (abs + rel, relative to b only) would differ
    vals += [1.0 + k * 1e-10 for k in range(8, 13)] + [1e-3 + k * 1e-12 for k in (1, 2)]
    a = np.array([x for x in vals for _ in vals])
    b = np.array([y for _ in vals for y in vals])
    expect = [math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-12) for x in vals for y in vals]
    assert cs._close(a, b).tolist() == expect


# -- hypothesis: random valid mutations of perturbed predictions -------------------------------

_ONTO = load_ontology()


def _new_id(doc: PDoc, rng: random.Random, prefix: str) -> str:
    used = {e.id for e in doc.events} | {n.id for n in doc.numbers} | {t for t, _ in doc.time_ids}
    while True:
        i = f"{prefix}{rng.randrange(10**6)}"
        if i not in used:
            return i


def _shift(sp: tuple[int, int, str], text: str, rng: random.Random) -> tuple[int, int, str]:
    """The span moved or resized by one character, its text from the document."""
    d = rng.choice((-1, 1))
    s = min(max(0, sp[0] + rng.choice((0, d))), len(text) - 1)
    e = min(max(s + 1, sp[1] + rng.choice((0, d))), len(text))
    return (s, e, text[s:e])


def _mutate_event(doc: PDoc, text: str, rng: random.Random) -> None:
    ev = doc.events
    e = rng.choice(ev)
    op = rng.randrange(9)
    linked = {n.counted_role for n in doc.numbers if n.event == e.id}
    counted = linked | {i[0] for i in e.implicit}

    def accepts(t: str) -> bool:
        et = _ONTO.event_types[t]
        return {r for r, _ in e.args} <= set(et.roles) and counted <= set(et.countable)

    if op == 0:  # a repeat (same trigger and type), maybe with other attributes
        c = copy.deepcopy(e)
        c.id = _new_id(doc, rng, "d")
        c.coref = rng.choice((c.id, e.coref, e.id))
        c.factuality = rng.choice(("asserted", "reported", "negated"))
        ev.insert(rng.randrange(len(ev) + 1), c)
    elif op == 1:
        e.trigger = _shift(e.trigger, text, rng)
    elif op == 2:  # another type accepting its roles and counted roles
        e.type = rng.choice([t for t in _ONTO.event_types if accepts(t)])
    elif op == 3 and e.args:  # another role, a repeat or a shifted span
        k = rng.randrange(len(e.args))
        role, sp = e.args[k]
        what = rng.randrange(3)
        if what == 0:
            e.args[k] = (rng.choice(_ONTO.event_types[e.type].roles), sp)
        elif what == 1:
            e.args.insert(rng.randrange(len(e.args) + 1), (role, sp))
        else:
            e.args[k] = (role, _shift(sp, text, rng))
    elif op == 4:
        e.source = rng.choice((None, e.trigger, rng.choice(ev).trigger,
                               _shift(e.source or e.trigger, text, rng)))
    elif op == 5:
        e.coref = rng.choice(ev).id
    elif op == 6:  # another event's trigger (and maybe type): several events on one span
        o = rng.choice(ev)
        e.trigger = o.trigger
        if rng.random() < 0.5 and accepts(o.type):
            e.type = o.type
    elif op == 7:
        rng.shuffle(ev)
    elif _ONTO.event_types[e.type].countable:
        e.implicit.append((rng.choice(_ONTO.event_types[e.type].countable), "civilians",
                           rng.randrange(1, 9), "incident"))


def _bounds(n: PNumber, rng: random.Random) -> None:
    """Value, qualifier and bounds that agree (loading.expected_bounds)."""
    v = rng.choice((n.value, n.value * (1 + 1e-10), n.value + 1, 0.0, 1e-13))
    q = rng.choice(("exact", "approximate", "at_least", "more_than", "at_most", "less_than",
                    "range", "vague"))
    lo = hi = None
    li = ui = True
    if q in ("range", "vague"):  # any inclusiveness
        lo, hi = v - rng.choice((1, 2)), rng.choice((None, v + 1)) if q == "vague" else v + 1
        li, ui = rng.random() < 0.5, rng.random() < 0.5
    elif q in ("exact", "approximate"):
        lo = hi = v
    elif q in ("at_least", "more_than"):
        lo, li = v, q == "at_least"
    else:
        hi, ui = v, q == "at_most"
    n.value, n.qualifier, n.lower, n.lower_inclusive, n.upper, n.upper_inclusive = (
        v, q, lo, li, hi, ui)


def _mutate_number(doc: PDoc, text: str, rng: random.Random) -> None:
    nums = doc.numbers
    n = rng.choice(nums)
    op = rng.randrange(6)
    if op == 0:
        c = copy.deepcopy(n)
        c.id = _new_id(doc, rng, "dn")
        nums.insert(rng.randrange(len(nums) + 1), c)
    elif op == 1:
        n.span = _shift(n.span, text, rng)
    elif op == 2:
        _bounds(n, rng)
    elif op == 3 and doc.events:  # (re)link to an event
        e = rng.choice(doc.events)
        if not _ONTO.event_types[e.type].countable:
            return
        n.kind, n.event = "event_count", e.id
        n.counted_role = rng.choice(_ONTO.event_types[e.type].countable)
    elif op == 4:
        n.kind, n.event, n.counted_role, n.counted_class, n.scope = (
            rng.choice(("other", "money", "age")), None, None, None, None)
    else:
        rng.shuffle(nums)
        others = [x.id for x in nums if x.id != n.id]
        if others:  # an extra restates relation
            doc.relations.append(("restates", n.id, rng.choice(others)))


def _mutate(preds: list[PDoc], texts: dict[str, str], rng: random.Random, steps: int
            ) -> list[PDoc]:
    preds = copy.deepcopy(preds)
    for _ in range(steps):
        d = rng.choice(preds)
        if d.events and rng.random() < 0.6:
            _mutate_event(d, texts[d.id], rng)
        elif d.numbers:
            _mutate_number(d, texts[d.id], rng)
    rng.shuffle(preds)
    return preds[:len(preds) - rng.randrange(3)]  # maybe some missing


@pytest.fixture(scope="module")
def small(corpus) -> tuple[list[Document], Columns, list[PDoc]]:
    gold = corpus[0][::12]
    return gold, from_pdocs([from_model(d) for d in gold]), _perturbed(gold, 3, 0.25)


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rng=st.randoms(use_true_random=False), steps=st.integers(1, 60))
def test_mutations(small, rng, steps):
    gold, cols, preds = small
    _check(gold, cols, _mutate(preds, {d.id: d.text for d in gold}, rng, steps))


def test_mutations_are_valid(small):
    """The mutations keep predictions valid submissions."""
    gold, _, preds = small
    index = gold_index(gold)
    texts = {d.id: d.text for d in gold}
    for seed in range(10):
        checker = SubmissionChecker(index, "<test>")
        for p in _mutate(preds, texts, random.Random(seed), 60):
            checker.check(p, None)
        assert not checker.problems, checker.problems[:3]


def test_event_ids_repeated_take_the_last_event():
    """fast.py maps event ids with a dict (the last event wins); so does the link lookup."""
    ev = [PEvent(i, t, (s, s + 2, "xx"), [], "asserted", None, None, i, [])
          for i, t, s in (("e1", "DEATH", 0), ("e1", "INJURY", 4))]
    num = PNumber("n1", (10, 12, "12"), 12.0, 12.0, True, 12.0, True, "exact", "event_count",
                  "e1", "victim", None, None)
    cols = from_pdocs([PDoc("a", None, ev, [num])])
    sel, types = cs._links(cols)
    assert sel.tolist() == [0] and types.tolist() == [cs.EVENT_TYPES.index("INJURY")]


# -- hypothesis: dense synthetic documents (few spans, types and clusters: many collisions) ----

_SPANS = [(0, 3), (0, 4), (5, 9), (10, 12), (0, 3)]
_TYPES = ["DEATH", "INJURY", "ATTACK"]


def _synthetic_doc(doc_id: str, rng: random.Random, prefix: str) -> PDoc:
    """Not a valid document (the scorer does not need one): ids, spans, clusters, bounds and
    links drawn from small pools so that keys collide in every possible way."""
    def sp() -> tuple[int, int, str]:
        s, e = rng.choice(_SPANS)
        return (s, e, "x" * (e - s))

    events = [PEvent(f"{prefix}{k}", rng.choice(_TYPES), sp(),
                     [(rng.choice(("agent", "victim", "place")), sp())
                      for _ in range(rng.randrange(4))],
                     rng.choice(("asserted", "reported")), rng.choice((None, sp(), sp())), None,
                     rng.choice(("c0", "c1", "c2", f"{prefix}{k}")), [])
              for k in range(rng.randrange(14))]
    numbers = []
    for k in range(rng.randrange(10)):
        v = rng.choice((1.0, 2.0, 1.0 + 1e-10, 1.0 + 2e-9, 3.0))
        lo, hi = rng.choice((None, v, 1.0)), rng.choice((None, v, 3.0))
        linked = rng.random() < 0.6
        numbers.append(PNumber(
            f"n{prefix}{k}", sp(), v, lo, rng.random() < 0.5, hi, rng.random() < 0.5,
            rng.choice(("exact", "approximate", "range")),
            "event_count" if linked else rng.choice(("other", "event_count")),
            rng.choice([e.id for e in events] + ["zz"]) if linked else None,
            rng.choice(("victim", "agent")) if linked else None, None, None))
    return PDoc(doc_id, None, events, numbers)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(rng=st.randoms(use_true_random=False), n_docs=st.integers(1, 6),
       chunk=st.sampled_from((1, 2, 1 << 14)))
def test_synthetic_collisions(rng, n_docs, chunk):
    gold = [_synthetic_doc(f"d{i}", rng, "g") for i in range(n_docs)]
    preds = [_synthetic_doc(f"d{i}", rng, rng.choice(("g", "p"))) for i in range(n_docs)
             if rng.random() < 0.9]
    rng.shuffle(preds)
    index = {d.id: SimpleNamespace(index=i, prep=prepare_gold(d)) for i, d in enumerate(gold)}
    saved, cs._CHUNK_DOCS = cs._CHUNK_DOCS, chunk
    try:
        _compare(index, [d.id for d in gold], from_pdocs(gold), preds)
    finally:
        cs._CHUNK_DOCS = saved


def test_doc_sums_add_as_plain_sum_does():
    """B-cubed sums: left to right from 0.0 (scoring.plain_sum), on every Python version;
    the last list is one that CPython 3.12's compensated sum() adds differently."""
    rng = random.Random(0)
    lists = [[rng.randrange(1, 9) / rng.randrange(1, 13) for _ in range(rng.randrange(40))]
             for _ in range(200)] + [[1e16, 1.0, -1e16, 3.0], [0.1] * 10]
    doc = np.array([d for d, xs in enumerate(lists) for _ in xs], dtype=np.int64)
    terms = np.array([x for xs in lists for x in xs])
    got = cs._doc_sums(doc, terms, len(lists))
    assert got.tolist() == [plain_sum(xs) for xs in lists]
    assert plain_sum([1e16, 1.0, -1e16, 3.0]) == 3.0  # not 4.0, what a compensated sum gives
