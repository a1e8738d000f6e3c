"""The exact-regime fast path of the scorer: gold prepared once, multiset counts per document.

It gives the same report, bit for bit, as `scoring.score_document` (the simple reference path,
still used for the overlap and token_f1 regimes, for error listings and with `reference=True`);
tests/test_eval_fast.py compares whole reports on the real corpus with perturbed predictions.

Why it is faster, and why it is the same:
- Under the exact regime a match needs equal keys, so wherever only *how many* items match counts
  (arguments, trigger-free arguments, linking triples, strict facts) the one-to-one pairing is a
  multiset intersection, computed against gold counters built once per gold document.
  Where the pairing itself matters (triggers, numbers) it is done exactly as the reference does
  (predictions in document order take the first unused gold item with an equal key).
- Breakdown counts are integers: they are collected per document as keys and added with
  `Counter.update` (C code) instead of one Python call per item; every gold document is scored
  exactly once, so its gold-side keys are prepared once. Only the fractional soft-fact credits
  are added one by one, in the reference's order, so their float sums are identical.
- Fact matchings: when no gold or predicted fact has two candidates with a positive credit, the
  optimal assignment is forced (every positive pair) and no matrix is built; otherwise the
  reference's full matrix goes to the same `linear_sum_assignment` call.
"""

from __future__ import annotations

import math
from array import array
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from tally.eval.facts import (
    SOFT_TOLERANCE_DECADES,
    Fact,
    extract_facts,
    unlinked_repeats,
)
from tally.eval.plain import PDoc
from tally.eval.scoring import COLUMNS, EMPTY, METRIC_NAMES, _assign, plain_sum

_W = len(METRIC_NAMES) * COLUMNS
_P = {m: i * COLUMNS for i, m in enumerate(METRIC_NAMES)}
TI, TC = _P["trigger_identification"], _P["trigger_classification"]
AI, AC = _P["argument_identification"], _P["argument_classification"]
AIF, ACF = _P["argument_identification_trigger_free"], _P["argument_classification_trigger_free"]
NS, NV, NB, NK = _P["number_span"], _P["number_value"], _P["number_bounds"], _P["number_kind"]
NL = _P["number_event_link"]
FA, AT, B3 = _P["factuality"], _P["attribution"], _P["coreference_b3"]
FACT_METRICS = (("tally_strict", False, False), ("tally_soft", True, False),
                ("tally_strict_explicit", False, True), ("tally_soft_explicit", True, True))


@dataclass(slots=True)
class GoldPrep:
    """Everything about one gold document that does not depend on the prediction."""

    doc: PDoc
    row: list[float]                            # the gold-side columns of the document's row
    gold_keys: list[tuple]                      # gold-side breakdown keys (metric, label, col)
    trig: dict[tuple, list[int]]                # (start, end) -> gold event indices in order
    trig_typed: dict[tuple, list[int]]          # (type, start, end) -> indices
    arg_span: dict[tuple, int]                  # (event index, start, end) -> count
    arg_cls: dict[tuple, int]                   # (event index, role, start, end) -> count
    free_id: dict[tuple, int]                   # (type, start, end) -> count
    free_cls: dict[tuple, int]                  # (type, role, start, end) -> count
    num_slots: dict[tuple, list[int]]           # (start, end) -> gold number indices
    links: dict[tuple, int]                     # (type, role, start, end) -> count
    facts: list[Fact]
    fact_groups: dict[tuple, list[int]]         # (type, role) -> gold fact indices
    strict_keys: list[frozenset]                # per fact: its variants' strict keys
    intervals: list[list[tuple[float, float]]]  # per fact: its variants' log intervals


def _count(keys) -> dict[tuple, int]:
    return dict(Counter(keys))


def _slots(keys) -> dict[tuple, list[int]]:
    out: dict[tuple, list[int]] = {}
    for i, k in enumerate(keys):
        out.setdefault(k, []).append(i)
    return out


def prepare_gold(doc: PDoc) -> GoldPrep:
    ev, nums = doc.events, doc.numbers
    n_args = sum(len(e.args) for e in ev)
    gev = {e.id: e.type for e in ev}
    links = [(gev[n.event], n.counted_role, n.span[0], n.span[1]) for n in nums
             if n.kind == "event_count" and n.event in gev]
    facts = extract_facts(doc)
    row = [0.0] * _W
    for col, n in ((TI, len(ev)), (TC, len(ev)), (AI, n_args), (AC, n_args), (AIF, n_args),
                   (ACF, n_args), (FA, len(ev)), (AT, len(ev)), (NS, len(nums)),
                   (NV, len(nums)), (NB, len(nums)), (NK, len(nums)), (NL, len(links))):
        row[col] += n
    keys: list[tuple] = [("trigger_classification", e.type, 0) for e in ev]
    keys += [("argument_classification", r, 0) for e in ev for r, _ in e.args]
    keys += [("number_span", n.qualifier, 0) for n in nums]
    keys += [("number_event_link", k[0], 0) for k in links]
    for metric, _, explicit in FACT_METRICS:
        fs = [f for f in facts if not (explicit and f.implicit)]
        row[_P[metric]] += len(fs)
        keys += [(metric, f.type, 0) for f in fs]
    return GoldPrep(
        doc, row, keys,
        _slots((e.trigger[0], e.trigger[1]) for e in ev),
        _slots((e.type, e.trigger[0], e.trigger[1]) for e in ev),
        _count((i, s[0], s[1]) for i, e in enumerate(ev) for _, s in e.args),
        _count((i, r, s[0], s[1]) for i, e in enumerate(ev) for r, s in e.args),
        _count((e.type, s[0], s[1]) for e in ev for _, s in e.args),
        _count((e.type, r, s[0], s[1]) for e in ev for r, s in e.args),
        _slots((n.span[0], n.span[1]) for n in nums),
        _count(links),
        facts,
        _slots((f.type, f.role) for f in facts),
        [frozenset(v.strict_key for v in f.variants) for f in facts],
        [[v.interval for v in f.variants] for f in facts],
    )


@dataclass
class FastAccumulator:
    """The reference Accumulator's outputs (breakdown, confusion, duplicates, rows), built from
    integer key counts plus the fractional soft credits added in the reference's order."""

    regime: str = "exact"
    errors_per_layer: int = 0
    tolerance: float = SOFT_TOLERANCE_DECADES
    rows: array = field(default_factory=lambda: array("d"))
    n_docs: int = 0
    counts: Counter = field(default_factory=Counter)
    credit: dict[tuple[str, str], float] = field(default_factory=dict)
    confusion: Counter = field(default_factory=Counter)
    duplicates: Counter = field(default_factory=Counter)
    errors: list[dict] = field(default_factory=list)

    @property
    def breakdown(self) -> dict[str, dict[str, list[float]]]:
        out: dict[str, dict[str, list[float]]] = {}
        for (metric, label, col), n in self.counts.items():
            out.setdefault(metric, {}).setdefault(label, [0.0, 0.0, 0.0, 0.0])[col] = float(n)
        for (metric, label), c in self.credit.items():
            out.setdefault(metric, {}).setdefault(label, [0.0, 0.0, 0.0, 0.0])[2] = c
        return out

    def matrix(self) -> np.ndarray:
        return np.frombuffer(self.rows, dtype=np.float64).reshape(self.n_docs, _W)


def _pair(slots: dict[tuple, list[int]], keys: list[tuple]) -> list[tuple[int, int]]:
    """The reference's exact pairing: each prediction, in order, takes the first unused gold
    item with an equal key."""
    used: dict[tuple, int] = {}
    out = []
    for j, k in enumerate(keys):
        lst = slots.get(k)
        if lst is not None:
            n = used.get(k, 0)
            if n < len(lst):
                out.append((lst[n], j))
                used[k] = n + 1
    return out


def _intersect(gold: dict[tuple, int], keys) -> list[tuple]:
    """The keys of `keys` matched one-to-one against the gold multiset (size of the pairing)."""
    used: dict[tuple, int] = {}
    out = []
    for k in keys:
        c = gold.get(k)
        if c:
            u = used.get(k, 0)
            if u < c:
                used[k] = u + 1
                out.append(k)
    return out


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def score_exact(gp: GoldPrep, pred: PDoc, acc: FastAccumulator, count_gold: bool = True) -> None:
    """Score one document under the exact regime; same effect as scoring.score_document.

    `count_gold=False` leaves out the document's gold-side breakdown counts, for a caller that
    adds those of the whole gold at once (`gold_key_totals`)."""
    row = gp.row.copy()
    keys: list[tuple] = []
    gold = gp.doc
    ge, pe = gold.events, pred.events
    n_ge, n_pe = len(ge), len(pe)

    # -- triggers
    tkeys = [(e.type, e.trigger[0], e.trigger[1]) for e in pe]
    ident = _pair(gp.trig, [(e.trigger[0], e.trigger[1]) for e in pe])
    aligned = _pair(gp.trig_typed, tkeys)
    row[TI + 1] += n_pe
    row[TI + 2] += len(ident)
    row[TC + 1] += n_pe
    row[TC + 2] += len(aligned)
    keys += [("trigger_classification", k[0], 1) for k in tkeys]
    keys += [("trigger_classification", ge[i].type, 2) for i, _ in aligned]
    conf = [(ge[i].type, pe[j].type) for i, j in ident]
    if len(ident) < n_ge:
        gi = {i for i, _ in ident}
        conf += [(e.type, EMPTY) for i, e in enumerate(ge) if i not in gi]
    if len(ident) < n_pe:
        pj = {j for _, j in ident}
        conf += [(EMPTY, e.type) for j, e in enumerate(pe) if j not in pj]
    acc.confusion.update(conf)
    dup_events = n_pe - len(set(tkeys))

    # -- arguments: keys carry the gold event's index; each gold event is aligned at most once,
    # so one multiset intersection per document pairs the arguments of every aligned event.
    m_id = m_cls = 0
    if aligned and gp.arg_span:
        a_id = [(i, s[0], s[1]) for i, j in aligned for _, s in pe[j].args]
        if a_id:
            m_id = len(_intersect(gp.arg_span, a_id))
            cls = _intersect(gp.arg_cls, [(i, r, s[0], s[1]) for i, j in aligned
                                          for r, s in pe[j].args])
            m_cls = len(cls)
            keys += [("argument_classification", k[1], 2) for k in cls]
    # Flat over every predicted argument (a loop per event cost more than the work).
    pcls = [(e.type, r, s[0], s[1]) for e in pe for r, s in e.args]
    pid = [(t, s0, s1) for t, _, s0, s1 in pcls]
    n_pa = len(pcls)
    within = [(k, r, s[0], s[1]) for k, e in enumerate(pe) for r, s in e.args]
    dup_args = n_pa - len(set(within))  # repeats within one event
    keys += [("argument_classification", k[1], 1) for k in pcls]
    row[AI + 1] += n_pa
    row[AI + 2] += m_id
    row[AC + 1] += n_pa
    row[AC + 2] += m_cls
    row[AIF + 1] += n_pa
    row[AIF + 2] += len(_intersect(gp.free_id, pid)) if pid else 0
    row[ACF + 1] += n_pa
    row[ACF + 2] += len(_intersect(gp.free_cls, pcls)) if pid else 0

    # -- factuality, attribution, coreference on aligned events
    n_al = len(aligned)
    row[FA + 1] += n_pe
    row[AT + 1] += n_pe
    row[FA + 3] += n_al
    row[AT + 3] += n_al
    for i, j in aligned:
        g, p = ge[i], pe[j]
        ok = g.factuality == p.factuality
        row[FA + 2] += ok
        keys.append(("factuality", g.factuality, 3))
        if ok:
            keys.append(("factuality", g.factuality, 2))
        gs_, ps_ = g.source, p.source
        if gs_ is None or ps_ is None:
            ok = gs_ is None and ps_ is None
        else:
            ok = gs_[0] == ps_[0] and gs_[1] == ps_[1]
        row[AT + 2] += ok
        label = "no source" if gs_ is None else "source"
        keys.append(("attribution", label, 3))
        if ok:
            keys.append(("attribution", label, 2))
    if n_al:
        gl = [ge[i].coref for i, _ in aligned]
        pl = [pe[j].coref for _, j in aligned]
        ng, npc, ngp = Counter(gl), Counter(pl), Counter(zip(gl, pl, strict=True))
        row[B3] += n_al
        row[B3 + 1] += plain_sum(ngp[(a, b)] / npc[b] for a, b in zip(gl, pl, strict=True))
        row[B3 + 2] += plain_sum(ngp[(a, b)] / ng[a] for a, b in zip(gl, pl, strict=True))

    # -- numbers
    gn, pn = gold.numbers, pred.numbers
    spans = [(n.span[0], n.span[1]) for n in pn]
    pairs = _pair(gp.num_slots, spans)
    n_pn, n_pairs = len(pn), len(pairs)
    row[NS + 1] += n_pn
    row[NS + 2] += n_pairs
    for c in (NV, NB, NK):
        row[c + 1] += n_pn
        row[c + 3] += n_pairs
    keys += [("number_span", n.qualifier, 1) for n in pn]
    for a, b in pairs:
        g, p = gn[a], pn[b]
        keys.append(("number_span", g.qualifier, 2))
        row[NV + 2] += _close(g.value, p.value)
        ok = (g.qualifier == p.qualifier and g.lower == p.lower and g.upper == p.upper
              and g.lower_inclusive == p.lower_inclusive
              and g.upper_inclusive == p.upper_inclusive)
        row[NB + 2] += ok
        keys.append(("number_bounds", g.qualifier, 3))
        if ok:
            keys.append(("number_bounds", g.qualifier, 2))
        ok = g.kind == p.kind
        row[NK + 2] += ok
        keys.append(("number_kind", g.kind, 3))
        if ok:
            keys.append(("number_kind", g.kind, 2))
    dup_numbers = n_pn - len(set(spans))
    pev = {e.id: e.type for e in pe}
    plinks = [(pev[n.event], n.counted_role, n.span[0], n.span[1]) for n in pn
              if n.kind == "event_count" and n.event in pev]
    row[NL + 1] += len(plinks)
    keys += [("number_event_link", k[0], 1) for k in plinks]
    if plinks:
        links = _intersect(gp.links, plinks)
        row[NL + 2] += len(links)
        keys += [("number_event_link", k[0], 2) for k in links]

    # -- facts
    pf = extract_facts(pred)
    acc.duplicates["facts_unlinked_repeats"] += unlinked_repeats(pf)
    _facts(gp, pf, row, keys, acc)

    acc.duplicates["events"] += dup_events
    acc.duplicates["arguments"] += dup_args
    acc.duplicates["numbers"] += dup_numbers
    if count_gold:
        acc.counts.update(gp.gold_keys)
    acc.counts.update(keys)
    acc.rows.extend(row)
    acc.n_docs += 1


def gold_key_totals(preps: Iterable[GoldPrep]) -> Counter:
    """The gold-side breakdown counts of many documents: every gold document is scored exactly
    once per evaluation, so for a prepared gold these are the same for every submission."""
    total: Counter = Counter()
    for gp in preps:
        total.update(gp.gold_keys)
    return total


def _facts(gp: GoldPrep, pf: list[Fact], row: list[float], keys: list[tuple],
           acc: FastAccumulator) -> None:
    gf = gp.facts
    for metric, _, explicit in FACT_METRICS:
        fs = [f for f in pf if not (explicit and f.implicit)]
        row[_P[metric] + 1] += len(fs)
        keys += [(metric, f.type, 1) for f in fs]
    if not gf or not pf:
        return
    groups, strict_keys, intervals = gp.fact_groups, gp.strict_keys, gp.intervals
    # soft_credit inlined (a call per variant pair was a fifth of the scoring): the same float
    # operations, and max(0, best) as the running maximum from 0.0.
    two_tol = 2.0 * acc.tolerance
    # Candidate pairs (same type and role) with a positive credit, in (pred, gold) order.
    strict: list[tuple[int, int, float]] = []
    soft: list[tuple[int, int, float]] = []
    for j, p in enumerate(pf):
        cand = groups.get((p.type, p.role))
        if cand is None:
            continue
        pkeys = [v.strict_key for v in p.variants]
        pints = [v.interval for v in p.variants]
        for i in cand:
            gk = strict_keys[i]
            for k in pkeys:
                if k in gk:
                    strict.append((i, j, 1.0))
                    break
            best = 0.0
            for a0, a1 in intervals[i]:
                for b0, b1 in pints:
                    c = 1.0 - (abs(a0 - b0) + abs(a1 - b1)) / two_tol
                    if c > best:
                        best = c
            if best > 0:
                soft.append((i, j, best))
    gx = px = None
    for metric, is_soft, explicit in FACT_METRICS:
        cands = soft if is_soft else strict
        if explicit:  # the explicit variants' matchings are over explicit facts only
            cands = [m for m in cands if not gf[m[0]].implicit and not pf[m[1]].implicit]
        if not is_soft:
            matches = _max_matching(cands)
        else:
            matches = _forced(cands)
            if matches is None:
                if gx is None:
                    gx = [i for i, f in enumerate(gf) if not f.implicit]
                    px = [j for j, f in enumerate(pf) if not f.implicit]
                matches = _lsa(len(gf), len(pf), soft, (gx, px) if explicit else None)
        # Sum in gold order, as the reference does over linear_sum_assignment's sorted rows.
        row[_P[metric] + 2] += plain_sum(c for _, _, c in matches)
        if is_soft:
            credit = acc.credit
            for i, _, c in matches:
                k = (metric, gf[i].type)
                credit[k] = credit.get(k, 0.0) + c
        else:
            keys += [(metric, gf[i].type, 2) for i, _, _ in matches]


def _forced(pairs: list[tuple[int, int, float]]) -> list[tuple[int, int, float]] | None:
    """The optimal assignment when no row or column has two positive entries (every positive
    pair, in gold order: the optimum is unique), else None."""
    rows = {i for i, _, _ in pairs}
    cols = {j for _, j, _ in pairs}
    if len(rows) != len(pairs) or len(cols) != len(pairs):
        return None
    return sorted(pairs)


def _max_matching(pairs: list[tuple[int, int, float]]) -> list[tuple[int, int, float]]:
    """A maximum matching of the strict candidate pairs (credit 1 each), in gold order.

    Candidates only join facts of one (type, role), so every maximum matching, the reference's
    linear_sum_assignment one included, has the same size per (type, role), hence per type: the
    counts are the same whichever maximum matching is found (Kuhn's augmenting paths here)."""
    if not pairs:
        return []
    adj: dict[int, list[int]] = {}
    for i, j, _ in pairs:
        adj.setdefault(i, []).append(j)
    owner: dict[int, int] = {}
    for i in adj:
        _augment(i, adj, owner, set())
    return sorted((i, j, 1.0) for j, i in owner.items())


def _augment(i: int, adj: dict[int, list[int]], owner: dict[int, int], seen: set[int]) -> bool:
    """Kuhn's augmenting path from gold fact i (module-level: a nested recursive function
    would be a reference cycle per call, left to the paused collector)."""
    for j in adj[i]:
        if j not in seen:
            seen.add(j)
            if j not in owner or _augment(owner[j], adj, owner, seen):
                owner[j] = i
                return True
    return False


def _lsa(n_gold: int, n_pred: int, soft: list[tuple[int, int, float]],
         sub: tuple[list[int], list[int]] | None) -> list[tuple[int, int, float]]:
    """The reference's credit matrix (zero outside the candidates) and assignment; with `sub`
    (explicit facts only) its submatrix, with matches mapped back to full indices."""
    w = np.zeros((n_gold, n_pred))
    for i, j, c in soft:
        w[i, j] = c
    if sub is None:
        return _assign(w)
    gx, px = sub
    return [(gx[a], px[b], c) for a, b, c in _assign(w[np.ix_(gx, px)])]
