"""The columnar fact metrics (eval/columnar_facts.py) give fast.py's, bit for bit.

Rows of the four Tally F1 metrics, their breakdown counts, the soft credits (float sums in the
reference's scoring order) and `facts_unlinked_repeats` are compared with the exact-regime fast
path on the real corpus (gold itself, empty and missing predictions, perturbed predictions in a
shuffled submission order), on hand-made documents for the hard cases (restates chains mixing
types and roles, multi-variant facts, ties only the assignment settles, implicit counts,
sources, open bounds) and on random mutations of corpus documents.
"""

from __future__ import annotations

import copy
import random
from collections import Counter
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tally.eval import load_gold
from tally.eval.api import _score_all
from tally.eval.columnar_facts import FALLBACK, _extract, prepare_gold_facts, score_facts
from tally.eval.columns import CLASSES, EVENT_TYPES, QUALIFIERS, ROLES, SCOPES, from_pdocs
from tally.eval.facts import extract_facts
from tally.eval.fast import _P, FACT_METRICS, FastAccumulator, prepare_gold, score_exact
from tally.eval.loading import gold_index
from tally.eval.plain import PDoc, PEvent, PNumber, from_json_fast, from_model
from tally.eval.scoring import COLUMNS, METRIC_NAMES
from tally.schema.ontology import load_ontology
from tests.conftest import DATA
from tests.eval_perturb import perturb

FACT = {m for m, _, _ in FACT_METRICS}
FACT_COLS = [c for m in FACT for c in range(_P[m], _P[m] + COLUMNS)]
ONTO = load_ontology()


@pytest.fixture(scope="module")
def corpus():
    gold = load_gold([DATA / f"{s}.jsonl" for s in ("train", "dev", "test")])
    plain = [from_model(d) for d in gold]
    cols = from_pdocs(plain)
    return gold, plain, cols, prepare_gold_facts(cols)


def _columnar(gold_plain: list[PDoc], preds: list[PDoc], order: list[int], tolerance: float,
              gold_cols=None, gfx=None) -> tuple[np.ndarray, Counter, dict, Counter]:
    """score_facts on the columns of `preds` (any order; gold documents by position)."""
    pos = {d.id: i for i, d in enumerate(gold_plain)}
    by_gold: list[PDoc | None] = [None] * len(gold_plain)
    for p in preds:
        by_gold[pos[p.id]] = p
    gold_cols = gold_cols if gold_cols is not None else from_pdocs(gold_plain)
    rows = np.zeros((len(gold_plain), len(METRIC_NAMES) * COLUMNS))
    counts, credit, dup = Counter(), {}, Counter()
    score_facts(gold_cols, from_pdocs(by_gold), np.array(order, dtype=np.int64), tolerance,
                rows, counts, credit, dup, gold_facts=gfx)
    return rows, counts, credit, dup


def _same(ref: FastAccumulator, ref_rows: np.ndarray, got) -> None:
    rows, counts, credit, dup = got
    assert np.array_equal(rows[:, FACT_COLS], ref_rows[:, FACT_COLS])
    others = np.setdiff1d(np.arange(rows.shape[1]), FACT_COLS)
    assert not rows[:, others].any()
    assert counts == Counter({k: n for k, n in ref.counts.items() if k[0] in FACT})
    assert credit == ref.credit  # floats compared exactly
    assert dup["facts_unlinked_repeats"] == ref.duplicates["facts_unlinked_repeats"]


def _check_corpus(corpus, preds: list[PDoc], tolerance: float = 1.0) -> None:
    """Against the fast path proper (`_score_all` over the gold index)."""
    gold, plain, cols, gfx = corpus
    acc = FastAccumulator("exact", 0, tolerance)
    ref_rows, missing, _ = _score_all(gold_index(gold), preds, acc)
    pos = {d.id: i for i, d in enumerate(gold)}
    order = [pos[p.id] for p in preds] + [pos[i] for i in missing]
    _same(acc, ref_rows, _columnar(plain, preds, order, tolerance, cols, gfx))


def _check_plain(gold: list[PDoc], preds: list[PDoc], tolerance: float = 1.0) -> None:
    """Against score_exact document by document, as `_score_all` does for a gold given as
    plain records (submission order, then the missing documents; rows back in gold order)."""
    pos = {d.id: i for i, d in enumerate(gold)}
    seen = {p.id for p in preds}
    order = [pos[p.id] for p in preds] + [i for i, d in enumerate(gold) if d.id not in seen]
    by_id = {p.id: p for p in preds}
    acc = FastAccumulator("exact", 0, tolerance)
    for i in order:
        score_exact(prepare_gold(gold[i]), by_id.get(gold[i].id, PDoc(gold[i].id, None)), acc)
    inv = np.empty(len(order), dtype=np.int64)
    inv[np.array(order, dtype=np.int64)] = np.arange(len(order))
    _same(acc, acc.matrix()[inv], _columnar(gold, preds, order, tolerance))


# -- the real corpus ------------------------------------------------------------------------

def test_gold_against_itself_and_empty(corpus):
    plain = corpus[1]
    _check_corpus(corpus, [copy.deepcopy(d) for d in plain])
    _check_corpus(corpus, [PDoc(d.id, None) for d in plain])
    _check_corpus(corpus, [])  # every document missing


@pytest.mark.parametrize(("seed", "rate"), [(0, 0.1), (1, 0.25), (2, 0.5), (3, 0.25)])
def test_perturbed_shuffled_and_missing(corpus, seed, rate):
    gold = corpus[0]
    rng = random.Random(seed)
    preds = [from_json_fast(perturb(d, rng, rate)) for d in gold]
    rng.shuffle(preds)  # the credit sums follow the submission order
    before = FALLBACK.docs
    _check_corpus(corpus, preds)
    assert FALLBACK.docs > before  # the assignment ran for some documents
    _check_corpus(corpus, preds[::3])  # two thirds missing
    _check_corpus(corpus, list(reversed(preds)), tolerance=0.4)


def test_credit_continues_a_running_sum(corpus):
    """Two submissions into one accumulator: the second's credits are added one by one."""
    gold, plain, cols, gfx = corpus
    rng = random.Random(9)
    subs = [[from_json_fast(perturb(d, rng, 0.3)) for d in gold[:80]] for _ in range(2)]
    acc = FastAccumulator("exact", 0, 1.0)
    index = gold_index(gold)
    rows = np.zeros((len(gold), len(METRIC_NAMES) * COLUMNS))
    counts, credit, dup = Counter(), {}, Counter()
    pos = {d.id: i for i, d in enumerate(gold)}
    for preds in subs:
        _, missing, _ = _score_all(index, preds, acc)
        by_gold: list[PDoc | None] = [None] * len(gold)
        for p in preds:
            by_gold[pos[p.id]] = p
        order = np.array([pos[p.id] for p in preds] + [pos[i] for i in missing])
        score_facts(cols, from_pdocs(by_gold), order, 1.0, rows, counts, credit, dup, gfx)
    assert credit == acc.credit


# -- hand-made documents --------------------------------------------------------------------

def _ev(id_: str, typ: str, source: str | None = None, coref: str | None = None,
        implicit: list[tuple[str, str, int, str]] | None = None) -> PEvent:
    src = (0, len(source), source) if source else None
    return PEvent(id_, typ, (0, 1, "x"), [], "asserted", src, None, coref or id_,
                  implicit or [])


def _num(id_: str, event: str | None, role: str | None, lower: float | None,
         upper: float | None, qualifier: str = "exact", kind: str = "event_count") -> PNumber:
    value = lower if lower is not None else upper if upper is not None else 1.0
    return PNumber(id_, (0, 1, "1"), value, lower, True, upper, True, qualifier, kind, event,
                   role, None, None)


def _doc(id_: str, events: list[PEvent], numbers: list[PNumber],
         restates: list[tuple[str, str]] = ()) -> PDoc:
    return PDoc(id_, None, events, numbers, [], [("restates", s, t) for s, t in restates])


def _hand_made() -> tuple[list[PDoc], list[PDoc]]:
    tc, ac = "TERRITORY_CAPTURE", "ARMED_CLASH"
    gold, pred = [], []
    # A chain mixing types and roles, interleaved with a second chain: facts are ordered by
    # chain (first member), then by (type, role) within the chain.
    ev = [_ev("e1", tc, "The NUG,"), _ev("e2", ac), _ev("e3", tc, "police")]
    gold.append(_doc("mix", ev, [
        _num("n1", "e1", "territory", 3, 3), _num("n2", "e3", "agent", 40, 40),
        _num("n3", "e2", "agent", 3, 3), _num("n4", "e1", "agent", 5, None, "at_least"),
        _num("n5", "e3", "agent", 40, 40), _num("n6", "e1", "territory", 4, 4),
    ], [("n3", "n1"), ("n4", "n3"), ("n5", "n2"), ("n6", "n4")]))
    pred.append(_doc("mix", [_ev("e1", tc, "nug"), _ev("e2", ac), _ev("e3", tc, "Police.")], [
        _num("p1", "e1", "territory", 7, 7), _num("p2", "e1", "agent", 6, None, "at_least"),
        _num("p3", "e3", "agent", 45, 45), _num("p4", "e3", "agent", 45, 45),
        _num("p5", "e2", "agent", 3, 3), _num("p6", "e3", "agent", 39, 41, "range"),
    ], [("p2", "p5")]))
    # Multi-variant facts: a strict match through any variant; soft takes the best pair.
    gold.append(_doc("multi", [_ev("e1", ac)], [
        _num("n1", "e1", "agent", 10, None, "at_least"), _num("n2", "e1", "agent", 8, 12, "range"),
        _num("n3", "e1", "agent", None, 100, "at_most"), _num("n4", "e1", "agent", 30, 30),
        _num("n5", "e1", "agent", None, None, "vague"),
    ], [("n2", "n1"), ("n3", "n2"), ("n5", "n4")]))
    pred.append(_doc("multi", [_ev("e1", ac)], [
        _num("p1", "e1", "agent", 8, 12, "range"), _num("p2", "e1", "agent", 9, 9),
        _num("p3", "e1", "agent", None, None, "vague"), _num("p4", "e1", "agent", 31, 31),
    ], [("p4", "p2")]))
    # A strict candidate graph that is no complete bipartite one (a two-variant fact).
    gold.append(_doc("strict", [_ev("e1", ac)], [
        _num("n1", "e1", "agent", 10, 10), _num("n2", "e1", "agent", 20, 20),
        _num("n3", "e1", "agent", 20, 20), _num("n4", "e1", "agent", 50, 50),
    ], [("n2", "n1")]))
    pred.append(_doc("strict", [_ev("e1", ac)], [
        _num("p1", "e1", "agent", 20, 20), _num("p2", "e1", "agent", 10, 10),
        _num("p3", "e1", "agent", 50, 50), _num("p4", "e1", "agent", 50, 50),
    ]))
    # Ties: equal facts on both sides, and pairings of equal total credit.
    gold.append(_doc("ties", [_ev("e1", ac), _ev("e2", ac)], [
        _num("n1", "e1", "agent", 10, 10), _num("n2", "e1", "agent", 10, 10),
        _num("n3", "e2", "agent", 10, 10), _num("n4", "e2", "agent", 100, 100),
        _num("n5", "e2", "agent", 1000, 1000),
    ]))
    pred.append(_doc("ties", [_ev("e1", ac), _ev("e2", ac)], [
        _num("p1", "e2", "agent", 20, 20), _num("p2", "e1", "agent", 10, 10),
        _num("p3", "e1", "agent", 200, 200), _num("p4", "e2", "agent", 20, 20),
        _num("p5", "e1", "agent", 10, 10), _num("p6", "e2", "agent", 2000, 2000),
    ]))
    # Implicit counts (collapsed per coreference cluster), next to explicit ones; numbers
    # that are no fact (other kind, no role, unknown event).
    imp = [("agent", "combatants", 2, "incident")]
    gold.append(_doc("implicit", [
        _ev("e1", ac, implicit=imp), _ev("e2", ac, coref="e1", implicit=imp),
        _ev("e3", tc, "army", implicit=[("territory", "places", 3, "incident"),
                                         ("agent", "combatants", 2, "cumulative")]),
    ], [_num("n1", "e1", "agent", 2, 2), _num("n2", "e1", "agent", 7, 7, kind="other"),
        _num("n3", "e1", None, 2, 2), _num("n4", "e9", "agent", 2, 2)]))
    pred.append(_doc("implicit", [
        _ev("e1", ac, implicit=imp), _ev("e2", ac, implicit=imp),
        _ev("e3", tc, "The army", implicit=[("territory", "places", 3, "period")]),
    ], [_num("p1", "e1", "agent", 3, 3), _num("p2", "e3", "territory", 3, 3),
        _num("p3", "e3", "territory", 3, 3)]))
    # Only one side has facts; zero and open bounds.
    gold.append(_doc("gold-only", [_ev("e1", ac)], [_num("n1", "e1", "agent", 0, 0)]))
    pred.append(_doc("gold-only", [_ev("e1", ac)], []))
    gold.append(_doc("pred-only", [_ev("e1", ac)], []))
    pred.append(_doc("pred-only", [_ev("e1", ac)], [_num("p1", "e1", "agent", 0, None,
                                                         "more_than")]))
    gold.append(_doc("missing", [_ev("e1", ac)], [_num("n1", "e1", "agent", 1, 1)]))
    return gold, pred


def _columnar_facts_of(docs: list[PDoc]) -> list[list[tuple]]:
    """Each document's facts as extracted by the columns (order, variants, intervals)."""
    f = _extract(from_pdocs(docs))
    out: list[list[tuple]] = [[] for _ in docs]
    for k in range(len(f.doc)):
        vs = range(f.var_start[k], f.var_start[k] + f.n_var[k])
        out[f.doc[k]].append((EVENT_TYPES[f.type[k]], ROLES[f.role[k]], bool(f.implicit[k]), [
            (float(f.lower[v]) if f.has_lower[v] else None,
             float(f.upper[v]) if f.has_upper[v] else None, QUALIFIERS[f.qual[v]],
             f.sources[f.src[v]], (float(f.a[v]), float(f.b[v]))) for v in vs]))
    return out


def _same_facts(docs: list[PDoc]) -> None:
    ref = [[(x.type, x.role, x.implicit, [(*v.strict_key, v.interval) for v in x.variants])
            for x in extract_facts(d)] for d in docs]
    assert _columnar_facts_of(docs) == ref


def test_fact_extraction(corpus):
    gold, pred = _hand_made()
    _same_facts(gold + pred)
    _same_facts(corpus[1])
    rng = random.Random(5)
    _same_facts([_mutate(d, rng, 0.5) for d in corpus[1][:60]])


@pytest.mark.parametrize("tolerance", [1.0, 0.25, 3.0])
def test_hand_made_documents(tolerance):
    gold, pred = _hand_made()
    _check_plain(gold, pred, tolerance)
    _check_plain(gold, list(reversed(pred)), tolerance)
    _check_plain(gold, [copy.deepcopy(d) for d in gold], tolerance)


# -- random mutations -----------------------------------------------------------------------

SOURCES = (None, "The NUG,", "nug", "police", "the Police")


def _countable(typ: str) -> tuple[str, ...]:
    return ONTO.event_types[typ].countable


def _mutate(doc: PDoc, rng: random.Random, rate: float) -> PDoc:
    """A valid variation of `doc`: the kinds of change that reach the fact metrics."""
    d = copy.deepcopy(doc)
    d.text = None
    types = sorted(ONTO.event_types)
    extra = 0
    for e in list(d.events):
        if rng.random() < rate:
            e.source = (0, 3, rng.choice(SOURCES[1:])) if rng.random() < 0.8 else None
        if rng.random() < rate and d.events:
            e.coref = rng.choice(d.events).coref
        if rng.random() < rate and _countable(e.type):
            e.implicit.append((rng.choice(_countable(e.type)), rng.choice(CLASSES),
                               rng.choice((0, 1, 2, 3, 10, 12, 100)), rng.choice(SCOPES)))
        if rng.random() < rate / 2:
            extra += 1
            d.events.append(replace(e, id=f"xe{extra}", implicit=list(e.implicit)))
    for n in list(d.numbers):
        if rng.random() < rate:
            n.qualifier = rng.choice(QUALIFIERS)
            v = rng.choice((0.0, 1.0, 2.0, 5.0, 10.0, 12.0, 100.0, n.value))
            n.lower, n.upper = rng.choice(((v, v), (v, None), (None, v), (v, v * 2),
                                           (None, None)))
        if rng.random() < rate and d.events:
            e = rng.choice(d.events)  # relink to another event, a role it counts
            if _countable(e.type):
                n.kind, n.event, n.counted_role = "event_count", e.id, rng.choice(
                    _countable(e.type))
        if rng.random() < rate / 3:
            n.kind = "other"
        if rng.random() < rate / 2:
            extra += 1
            d.numbers.append(replace(n, id=f"xn{extra}"))
    ids = [n.id for n in d.numbers]
    for _ in range(int(len(ids) * rate)):
        if len(ids) > 1:
            d.relations.append(("restates", *rng.sample(ids, 2)))
    for e in d.events:  # retype keeping every counted role countable
        if rng.random() < rate / 2:
            need = {n.counted_role for n in d.numbers if n.event == e.id and n.counted_role}
            need |= {r for r, _, _, _ in e.implicit}
            ok = [t for t in types if need <= set(_countable(t))]
            if ok:
                e.type = rng.choice(ok)
                e.args = []
    return d


@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), start=st.integers(0, 300),
       rate=st.sampled_from((0.1, 0.3, 0.6)), tolerance=st.sampled_from((1.0, 0.5)))
def test_random_mutations(corpus, seed, start, rate, tolerance):
    rng = random.Random(seed)  # the mutations draw from it: a seed shrinks, a Random would not
    plain = corpus[1]
    gold = [_mutate(d, rng, rate / 3) for d in plain[start:start + 6]]
    preds = [_mutate(d, rng, rate) for d in gold]
    rng.shuffle(preds)
    _check_plain(gold, preds[: rng.randint(0, len(preds))], tolerance)
