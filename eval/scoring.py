"""Per-document scoring: one row of counts per document plus breakdowns, confusion and errors.

Rows (4 columns per metric, see `COLUMNS`) are kept per document so the bootstrap resamples
documents by summing rows, never rescoring.
"""

from __future__ import annotations

import math
from array import array
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linear_sum_assignment

from tally.eval.facts import (
    SOFT_TOLERANCE_DECADES,
    Fact,
    extract_facts,
    soft_pair_credit,
    strict_credit,
    unlinked_repeats,
)
from tally.eval.plain import PDoc, PEvent, PSpan
from tally.eval.spans import pair, similarity
from tally.eval.version import METRICS

METRIC_NAMES = list(METRICS)
COLUMNS = 4  # f1: gold, predicted, matched, 0 | accuracy: gold, predicted, correct, total
#              b_cubed: mentions, sum of P(m), sum of R(m), 0
_POS = {m: i * COLUMNS for i, m in enumerate(METRIC_NAMES)}
EMPTY = "∅"


@dataclass
class Accumulator:
    """Everything the report needs, summed over documents (rows kept per document)."""

    regime: str
    errors_per_layer: int = 0
    tolerance: float = SOFT_TOLERANCE_DECADES
    rows: array = field(default_factory=lambda: array("d"))
    n_docs: int = 0
    breakdown: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    confusion: Counter = field(default_factory=Counter)
    duplicates: Counter = field(default_factory=Counter)
    errors: list[dict] = field(default_factory=list)
    error_counts: Counter = field(default_factory=Counter)

    def bump(self, metric: str, label: str, col: int, by: float = 1.0) -> None:
        row = self.breakdown.setdefault(metric, {}).setdefault(label, [0.0, 0.0, 0.0, 0.0])
        row[col] += by

    def error(self, doc_id: str, layer: str, kind: str, item: str, sp: PSpan | None,
              text: str | None) -> None:
        if self.error_counts[layer] >= self.errors_per_layer:
            return
        self.error_counts[layer] += 1
        self.errors.append({"doc_id": doc_id, "layer": layer, "error": kind, "item": item,
                            "context": context(text, sp)})

    def matrix(self) -> np.ndarray:
        return np.frombuffer(self.rows, dtype=np.float64).reshape(self.n_docs,
                                                                 len(METRIC_NAMES) * COLUMNS)


def plain_sum(xs: Iterable[float]) -> float:
    """Left-to-right float addition from 0.0. Not `sum()`: from Python 3.12 it compensates
    rounding, so its last bits (and a report's figures) would depend on the interpreter."""
    total = 0.0
    for x in xs:
        total += x
    return total


def context(text: str | None, sp: PSpan | None, width: int = 50) -> str:
    if sp is None:
        return ""
    s, e, t = sp
    if text is None or e > len(text):
        return f"«{t}»"
    left = text[max(0, s - width):s].replace("\n", " ")
    right = text[e:e + width].replace("\n", " ")
    return f"…{left}«{t}»{right}…"


def _span_desc(sp: PSpan) -> str:
    return f"{sp[2]!r} [{sp[0]}:{sp[1]}]"


def _f1_counts(row: list[float], metric: str, g: float, p: float, m: float) -> None:
    i = _POS[metric]
    row[i] += g
    row[i + 1] += p
    row[i + 2] += m


def _bounds_equal(a, b) -> bool:
    return (a.qualifier == b.qualifier and a.lower == b.lower and a.upper == b.upper
            and a.lower_inclusive == b.lower_inclusive and a.upper_inclusive == b.upper_inclusive)


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def score_document(gold: PDoc, pred: PDoc, acc: Accumulator) -> None:
    """Score one document and append its row to the accumulator."""
    regime, text = acc.regime, gold.text
    row = [0.0] * (len(METRIC_NAMES) * COLUMNS)
    ge, pe = gold.events, pred.events
    bump = acc.bump

    # -- triggers --------------------------------------------------------------------------
    ident = pair([(None, e.trigger) for e in ge], [(None, e.trigger) for e in pe], regime)
    aligned = pair([(e.type, e.trigger) for e in ge], [(e.type, e.trigger) for e in pe], regime)
    _f1_counts(row, "trigger_identification", len(ge), len(pe), len(ident))
    _f1_counts(row, "trigger_classification", len(ge), len(pe), len(aligned))
    for e in ge:
        bump("trigger_classification", e.type, 0)
    for e in pe:
        bump("trigger_classification", e.type, 1)
    for i, _ in aligned:
        bump("trigger_classification", ge[i].type, 2)
    gi_id = {i for i, _ in ident}
    pj_id = {j for _, j in ident}
    for i, j in ident:
        acc.confusion[(ge[i].type, pe[j].type)] += 1
    for i, e in enumerate(ge):
        if i not in gi_id:
            acc.confusion[(e.type, EMPTY)] += 1
    for j, e in enumerate(pe):
        if j not in pj_id:
            acc.confusion[(EMPTY, e.type)] += 1
    dup = Counter((e.type, e.trigger[0], e.trigger[1]) for e in pe)
    acc.duplicates["events"] += sum(k - 1 for k in dup.values())
    if acc.errors_per_layer:
        gi_al = {i for i, _ in aligned}
        pj_al = {j for _, j in aligned}
        for i, e in enumerate(ge):
            if i not in gi_al:
                acc.error(gold.id, "trigger", "false_negative",
                          f"{e.type} {_span_desc(e.trigger)}", e.trigger, text)
        for j, e in enumerate(pe):
            if j not in pj_al:
                acc.error(gold.id, "trigger", "false_positive",
                          f"{e.type} {_span_desc(e.trigger)}", e.trigger, text)

    # -- arguments -------------------------------------------------------------------------
    _arguments(gold, pred, aligned, row, acc)

    # -- event attributes on aligned events ------------------------------------------------
    _event_attributes(ge, pe, aligned, row, acc)

    # -- numbers ---------------------------------------------------------------------------
    _numbers(gold, pred, row, acc)

    # -- facts -----------------------------------------------------------------------------
    _facts(gold, pred, row, acc)

    acc.rows.extend(row)
    acc.n_docs += 1


def _arguments(gold: PDoc, pred: PDoc, aligned, row, acc: Accumulator) -> None:
    regime = acc.regime
    n_g = sum(len(e.args) for e in gold.events)
    n_p = sum(len(e.args) for e in pred.events)
    m_id = m_cls = 0
    matched_g: set[tuple[int, int]] = set()
    matched_p: set[tuple[int, int]] = set()
    for i, j in aligned:
        ga, pa = gold.events[i].args, pred.events[j].args
        if not ga or not pa:
            continue
        m_id += len(pair([(None, s) for _, s in ga], [(None, s) for _, s in pa], regime))
        cls = pair(ga, pa, regime)
        m_cls += len(cls)
        for a, b in cls:
            acc.bump("argument_classification", ga[a][0], 2)
            matched_g.add((i, a))
            matched_p.add((j, b))
    for i, e in enumerate(gold.events):
        for a, (role, sp) in enumerate(e.args):
            acc.bump("argument_classification", role, 0)
            if acc.errors_per_layer and (i, a) not in matched_g:
                acc.error(gold.id, "argument", "false_negative",
                          f"{e.type}.{role} {_span_desc(sp)} of {e.id}", sp, gold.text)
    for j, e in enumerate(pred.events):
        seen = Counter((role, sp[0], sp[1]) for role, sp in e.args)
        acc.duplicates["arguments"] += sum(k - 1 for k in seen.values())
        for b, (role, sp) in enumerate(e.args):
            acc.bump("argument_classification", role, 1)
            if acc.errors_per_layer and (j, b) not in matched_p:
                acc.error(gold.id, "argument", "false_positive",
                          f"{e.type}.{role} {_span_desc(sp)} of {e.id}", sp, gold.text)
    _f1_counts(row, "argument_identification", n_g, n_p, m_id)
    _f1_counts(row, "argument_classification", n_g, n_p, m_cls)
    # TextEE's trigger-free variants: (event type, span) and (event type, span, role).
    g_free = [(e.type, sp, role) for e in gold.events for role, sp in e.args]
    p_free = [(e.type, sp, role) for e in pred.events for role, sp in e.args]
    f_id = pair([(t, s) for t, s, _ in g_free], [(t, s) for t, s, _ in p_free], regime)
    f_cls = pair([((t, r), s) for t, s, r in g_free], [((t, r), s) for t, s, r in p_free], regime)
    _f1_counts(row, "argument_identification_trigger_free", n_g, n_p, len(f_id))
    _f1_counts(row, "argument_classification_trigger_free", n_g, n_p, len(f_cls))


def _event_attributes(ge: list[PEvent], pe: list[PEvent], aligned, row, acc: Accumulator) -> None:
    regime = acc.regime
    fi, ai, bi = _POS["factuality"], _POS["attribution"], _POS["coreference_b3"]
    for m in ("factuality", "attribution"):
        i = _POS[m]
        row[i] += len(ge)
        row[i + 1] += len(pe)
    n_al = len(aligned)
    row[fi + 3] += n_al
    row[ai + 3] += n_al
    for i, j in aligned:
        g, p = ge[i], pe[j]
        ok = g.factuality == p.factuality
        row[fi + 2] += ok
        acc.bump("factuality", g.factuality, 3)
        acc.bump("factuality", g.factuality, 2, ok)
        if g.source is None or p.source is None:
            ok = g.source is None and p.source is None
        else:
            ok = similarity(g.source, p.source, regime) > 0
        row[ai + 2] += ok
        label = "no source" if g.source is None else "source"
        acc.bump("attribution", label, 3)
        acc.bump("attribution", label, 2, ok)
    # B-cubed over aligned mentions.
    if n_al:
        gl = [ge[i].coref for i, _ in aligned]
        pl = [pe[j].coref for _, j in aligned]
        ng, npc, ngp = Counter(gl), Counter(pl), Counter(zip(gl, pl, strict=True))
        sp = plain_sum(ngp[(a, b)] / npc[b] for a, b in zip(gl, pl, strict=True))
        sr = plain_sum(ngp[(a, b)] / ng[a] for a, b in zip(gl, pl, strict=True))
        row[bi] += n_al
        row[bi + 1] += sp
        row[bi + 2] += sr


def _numbers(gold: PDoc, pred: PDoc, row, acc: Accumulator) -> None:
    regime = acc.regime
    gn, pn = gold.numbers, pred.numbers
    pairs = pair([(None, n.span) for n in gn], [(None, n.span) for n in pn], regime)
    _f1_counts(row, "number_span", len(gn), len(pn), len(pairs))
    for n in gn:
        acc.bump("number_span", n.qualifier, 0)
    for n in pn:
        acc.bump("number_span", n.qualifier, 1)
    checks = (("number_value", lambda a, b: _close(a.value, b.value), None),
              ("number_bounds", _bounds_equal, "qualifier"),
              ("number_kind", lambda a, b: a.kind == b.kind, "kind"))
    for metric, _, _ in checks:
        i = _POS[metric]
        row[i] += len(gn)
        row[i + 1] += len(pn)
        row[i + 3] += len(pairs)
    for a, b in pairs:
        g, p = gn[a], pn[b]
        acc.bump("number_span", g.qualifier, 2)
        for metric, ok_fn, by in checks:
            ok = ok_fn(g, p)
            row[_POS[metric] + 2] += ok
            if by:
                label = getattr(g, by)
                acc.bump(metric, label, 3)
                acc.bump(metric, label, 2, ok)
            if not ok and acc.errors_per_layer:
                acc.error(gold.id, "number", f"wrong_{metric.removeprefix('number_')}",
                          f"{_span_desc(g.span)} gold {_num_desc(g)} predicted {_num_desc(p)}",
                          g.span, gold.text)
    dup = Counter((n.span[0], n.span[1]) for n in pn)
    acc.duplicates["numbers"] += sum(k - 1 for k in dup.values())
    if acc.errors_per_layer:
        ga, pb = {a for a, _ in pairs}, {b for _, b in pairs}
        for a, n in enumerate(gn):
            if a not in ga:
                acc.error(gold.id, "number", "false_negative",
                          f"{_span_desc(n.span)} {_num_desc(n)}", n.span, gold.text)
        for b, n in enumerate(pn):
            if b not in pb:
                acc.error(gold.id, "number", "false_positive",
                          f"{_span_desc(n.span)} {_num_desc(n)}", n.span, gold.text)
    # Linking triples (number span, event type, counted role).
    gev = {e.id: e.type for e in gold.events}
    pev = {e.id: e.type for e in pred.events}
    gl = [((gev[n.event], n.counted_role), n.span) for n in gn
          if n.kind == "event_count" and n.event in gev]
    pl = [((pev[n.event], n.counted_role), n.span) for n in pn
          if n.kind == "event_count" and n.event in pev]
    links = pair(gl, pl, regime)
    _f1_counts(row, "number_event_link", len(gl), len(pl), len(links))
    for k, _ in gl:
        acc.bump("number_event_link", k[0], 0)
    for k, _ in pl:
        acc.bump("number_event_link", k[0], 1)
    for a, _ in links:
        acc.bump("number_event_link", gl[a][0][0], 2)


def _num_desc(n) -> str:
    lo = "-inf" if n.lower is None else f"{n.lower:g}"
    hi = "inf" if n.upper is None else f"{n.upper:g}"
    return f"{n.value:g} {n.qualifier} [{lo}, {hi}] {n.kind}"


def _assign(w: np.ndarray) -> list[tuple[int, int, float]]:
    if w.size == 0 or not w.any():
        return []
    rows, cols = linear_sum_assignment(w, maximize=True)
    return [(int(r), int(c), float(w[r, c])) for r, c in zip(rows, cols, strict=True)
            if w[r, c] > 0]


def _facts(gold: PDoc, pred: PDoc, row, acc: Accumulator) -> None:
    gf, pf = extract_facts(gold), extract_facts(pred)
    acc.duplicates["facts_unlinked_repeats"] += unlinked_repeats(pf)
    ws = np.zeros((len(gf), len(pf)))
    wf = np.zeros((len(gf), len(pf)))
    for i, g in enumerate(gf):
        for j, p in enumerate(pf):
            if g.type == p.type and g.role == p.role:
                ws[i, j] = strict_credit(g, p)
                wf[i, j] = soft_pair_credit(g, p, acc.tolerance)
    gx = [i for i, f in enumerate(gf) if not f.implicit]
    px = [j for j, f in enumerate(pf) if not f.implicit]
    variants = (("tally_strict", ws, None), ("tally_soft", wf, None),
                ("tally_strict_explicit", ws, (gx, px)), ("tally_soft_explicit", wf, (gx, px)))
    for metric, w, sub in variants:
        gfs, pfs = gf, pf
        if sub is not None:
            w = w[np.ix_(sub[0], sub[1])]
            gfs, pfs = [gf[i] for i in sub[0]], [pf[j] for j in sub[1]]
        matches = _assign(w)
        _f1_counts(row, metric, len(gfs), len(pfs), plain_sum(c for _, _, c in matches))
        for f in gfs:
            acc.bump(metric, f.type, 0)
        for f in pfs:
            acc.bump(metric, f.type, 1)
        for a, _, c in matches:
            acc.bump(metric, gfs[a].type, 2, c)
        if metric == "tally_strict" and acc.errors_per_layer:
            _fact_errors(gold, gfs, pfs, matches, acc)


def _fact_errors(gold: PDoc, gf: list[Fact], pf: list[Fact], matches, acc: Accumulator) -> None:
    mg, mp = {a for a, _, _ in matches}, {b for _, b, _ in matches}
    for a, f in enumerate(gf):
        if a not in mg:
            acc.error(gold.id, "fact", "false_negative", f.describe(), None, gold.text)
    for b, f in enumerate(pf):
        if b not in mp:
            acc.error(gold.id, "fact", "false_positive", f.describe(), None, gold.text)
