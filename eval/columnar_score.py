"""The columnar scorer's layer metrics: triggers, arguments, factuality, attribution, B-cubed,
numbers and event links, over all documents at once (the Tally F1 is in columnar_facts.py).

Each metric is what `fast.score_exact` (with its gold side from `fast.prepare_gold`) gives per
document, bit for bit; tests/test_columnar_score.py compares them. How:

- Every key (a trigger span, an argument with its event, a number span, a link) is packed with
  its document into one int64 (`_keys`), gold rows then predicted rows, and sorted once, stably
  (`_match`). Within a run of equal keys the gold items come first, each side in document order,
  so the r-th predicted item of a key takes the r-th gold item: exactly `fast._pair` (the first
  unused gold item with an equal key, predictions in order), and its size is the size of
  `fast._intersect`'s multiset intersection. Where only that size matters (arguments, links)
  one sort serves a key and the coarser key it refines (`_overlaps`).
- Documents are scored in chunks of `_CHUNK_DOCS` (everything is per document or a sum).
- Integer columns are per-document bincounts (exact in float64). The B-cubed sums add each
  document's terms (the same int/int divisions) in prediction order as `scoring.plain_sum`
  does: one by one from 0.0 (`np.bincount(weights=...)`).
- Breakdown keys are counted per label code and named through the columns.py vocabularies.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import fields, replace

import numpy as np

from tally.eval.columns import (
    EVENT_TYPES,
    FACTUALITY,
    I64,
    KIND_EVENT_COUNT,
    KINDS,
    QUALIFIERS,
    ROLES,
    Columns,
)
from tally.eval.fast import AC, ACF, AI, AIF, AT, B3, FA, NB, NK, NL, NS, NV, TC, TI
from tally.eval.scoring import EMPTY

_KEY_BITS = 63  # non-negative int64 keys


def _dense(key: np.ndarray, col: np.ndarray) -> np.ndarray:
    """Dense ranks of the pairs (key, col), in their lexicographic order (so still doc-major)."""
    order = np.lexsort((col, key))
    k, c = key[order], col[order]
    new = np.empty(len(k), dtype=bool)
    new[:1] = True
    new[1:] = (k[1:] != k[:-1]) | (c[1:] != c[:-1])
    out = np.empty(len(k), dtype=I64)
    out[order] = np.cumsum(new) - 1
    return out


def _keys(*cols: tuple[np.ndarray, ...]) -> np.ndarray:
    """One int64 per row of each column's concatenated parts (e.g. gold rows, then predicted
    rows; every column covers the same rows), equal exactly when every column is, ordered like
    the rows' column tuples: a key led by the document keeps the rows' near-sorted document
    order (cheap to sort), and a key led by another key sorts in that key's order too (its
    refinement). Columns are bit-packed in place; when the bits run out the key so far is
    renumbered densely."""
    key = np.zeros(sum(len(a) for a in cols[0]), dtype=I64)
    if not len(key):
        return key
    bits = 0
    for parts in cols:
        lo = min(int(a.min()) for a in parts if len(a))
        width = (max(int(a.max()) for a in parts if len(a)) - lo).bit_length()
        if bits + width > _KEY_BITS:
            key = _dense(key, np.concatenate(parts))
            bits = int(key.max()).bit_length()
            continue
        if bits:
            key <<= width
        s = 0
        for a in parts:
            key[s:s + len(a)] += a
            s += len(a)
        if lo:
            key -= lo
        bits += width
    return key


def _runs(sorted_key: np.ndarray) -> np.ndarray:
    """Where each run of equal values starts, and the length (as the last entry)."""
    n = len(sorted_key)
    new = np.empty(n + 1, dtype=bool)
    new[0] = new[n] = True
    np.not_equal(sorted_key[1:], sorted_key[:-1], out=new[1:n])
    return np.flatnonzero(new)


def _match(key: np.ndarray, n_gold: int) -> tuple[np.ndarray, np.ndarray]:
    """For the predicted rows key[n_gold:]: the gold row each is paired with (-1: none), as
    `fast._pair` pairs them, and its rank among the predicted rows with its key (> 0: a
    repeat). Sorted stably, a run of equal keys holds its gold rows first (they come first),
    then its predicted rows, each side in document order: the r-th predicted row of a run
    takes its r-th gold row."""
    n_pred = len(key) - n_gold
    partner = np.full(n_pred, -1, dtype=I64)
    rank = np.zeros(n_pred, dtype=I64)
    if not n_pred:
        return partner, rank
    order = np.argsort(key, kind="stable")
    bounds = _runs(key[order])
    # Per position: its run's start and the run's gold count (prefix sums of gold rows).
    gold_before = np.zeros(len(order) + 1, dtype=I64)
    np.cumsum(order < n_gold, out=gold_before[1:])
    starts = bounds[:-1]
    n_gold_in = gold_before[bounds[1:]] - gold_before[starts]
    pos = np.flatnonzero(order >= n_gold)
    new = np.zeros(len(order), dtype=I64)
    new[starts] = 1
    run = np.cumsum(new, out=new)[pos] - 1
    gc = n_gold_in[run]
    r = pos - starts[run] - gc
    src = order[pos] - n_gold
    partner[src] = np.where(r < gc, order[pos - gc], -1)  # pos - gc: that run's r-th gold row
    rank[src] = r
    return partner, rank


def _overlaps(key: np.ndarray, n_gold: int, coarse: np.ndarray | None = None
              ) -> tuple[np.ndarray, list[tuple[np.ndarray, np.ndarray]]]:
    """Multiset intersections of the gold rows key[:n_gold] and the predicted rows (the sizes
    `fast._intersect` gives), for `key` and for `coarse`, a key that `key` refines. Returns the
    stable order and, per level (key, then coarse), each run with a nonzero intersection:
    (its first row, the intersection size). At the `key` level the first row is a gold row."""
    order = np.argsort(key, kind="stable")
    pred_before = np.zeros(len(order) + 1, dtype=I64)
    np.cumsum(order >= n_gold, out=pred_before[1:])
    out = []
    for k in (key, coarse) if coarse is not None else (key,):
        bounds = _runs(k[order])
        n_pred = pred_before[bounds[1:]] - pred_before[bounds[:-1]]
        m = np.minimum(np.diff(bounds) - n_pred, n_pred)
        keep = np.flatnonzero(m)
        out.append((order[bounds[keep]], m[keep]))
    return order, out


def _sizes(key: np.ndarray, coarse: np.ndarray | None = None) -> list[np.ndarray]:
    """How many rows share each row's key (and each row's `coarse` key, refined by `key`)."""
    order = np.argsort(key, kind="stable")
    out = []
    for k in (key, coarse) if coarse is not None else (key,):
        bounds = _runs(k[order])
        size = np.empty(len(order), dtype=I64)
        size[order] = np.repeat(np.diff(bounds), np.diff(bounds))
        out.append(size)
    return out


def _doc_sums(doc: np.ndarray, terms: np.ndarray, n: int) -> np.ndarray:
    """Per document, `scoring.plain_sum` of its terms in row order (`doc` is non-decreasing):
    np.bincount adds them one by one from 0.0, in that order."""
    return np.bincount(doc, terms, minlength=n)


def _close(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12) (fast._close), its formula elementwise."""
    with np.errstate(all="ignore"):
        diff = np.abs(b - a)
        near = (diff <= np.abs(1e-9 * b)) | (diff <= np.abs(1e-9 * a)) | (diff <= 1e-12)
    return (a == b) | (near & ~(np.isinf(a) | np.isinf(b)))


def _tally(counts: Counter, metric: str, vocab: list[str], codes: np.ndarray, col: int) -> None:
    """Add one breakdown key (metric, vocab[code], col) per code."""
    if not len(codes):
        return
    for k, c in enumerate(np.bincount(codes, minlength=len(vocab)).tolist()):
        if c:
            counts[(metric, vocab[k], col)] += c


def _pick(rows: np.ndarray, n_gold: int, gold_col: np.ndarray, pred_col: np.ndarray
          ) -> np.ndarray:
    """The column's value at rows of the concatenation (gold rows, then predicted rows)."""
    is_gold = rows < n_gold
    out = np.empty(len(rows), dtype=gold_col.dtype)
    out[is_gold] = gold_col[rows[is_gold]]
    is_gold = ~is_gold
    out[is_gold] = pred_col[rows[is_gold] - n_gold]
    return out


def _links(c: Columns) -> tuple[np.ndarray, np.ndarray]:
    """The event-count links of one side: (number rows, type of the linked event). Like
    fast.py's `{e.id: e.type for e in events}`, a repeated event id means its last event."""
    sel = np.flatnonzero((c.num_kind == KIND_EVENT_COUNT) & (c.num_event >= 0))
    n_ev = len(c.ev_doc)
    if not len(sel) or not n_ev:
        return sel[:0], sel[:0]
    key = _keys((c.ev_doc, c.num_doc[sel]), (c.ev_id, c.num_event[sel]))
    ek, nk = key[:n_ev], key[n_ev:]
    order = np.argsort(ek, kind="stable")
    sk = ek[order]
    at = np.searchsorted(sk, nk, side="right") - 1  # the last event with the id
    found = (at >= 0) & (sk[np.maximum(at, 0)] == nk)
    return sel[found], c.ev_type[order[at[found]]]


# Documents per chunk: every metric is per document and every count a sum, so chunks add up to
# the same; chunks keep the temporaries small (below glibc's mmap threshold they are reused
# instead of being mapped and faulted in afresh: that was half the time of a cold call).
_CHUNK_DOCS = 1 << 14


def _docs(c: Columns, d0: int, d1: int) -> Columns:
    """The events, arguments and numbers of documents d0 .. d1-1, renumbered from 0 (the other
    tables are left as they are: score_layers does not read them)."""
    e0, e1 = np.searchsorted(c.ev_doc, (d0, d1)).tolist()
    a0, a1 = np.searchsorted(c.arg_event, (e0, e1)).tolist()
    n0, n1 = np.searchsorted(c.num_doc, (d0, d1)).tolist()
    ev = {f: getattr(c, f)[e0:e1] for f in _EVENT_FIELDS}
    arg = {f: getattr(c, f)[a0:a1] for f in _ARG_FIELDS}
    num = {f: getattr(c, f)[n0:n1] for f in _NUM_FIELDS}
    ev["ev_doc"] = ev["ev_doc"] - d0
    arg["arg_event"] = arg["arg_event"] - e0
    num["num_doc"] = num["num_doc"] - d0
    return replace(c, n_docs=d1 - d0, **ev, **arg, **num)


_EVENT_FIELDS = [f.name for f in fields(Columns) if f.name.startswith("ev_")]
_ARG_FIELDS = [f.name for f in fields(Columns) if f.name.startswith("arg_")]
_NUM_FIELDS = [f.name for f in fields(Columns) if f.name.startswith("num_")]


def score_layers(gold: Columns, pred: Columns, rows: np.ndarray, counts: Counter,
                 confusion: Counter, duplicates: Counter) -> None:
    """Fill the layer metrics' columns of `rows` (gold-document order, gold side included) and
    add their breakdown keys (gold side included), trigger confusion and duplicate counts."""
    n = gold.n_docs
    if n <= _CHUNK_DOCS:
        _score(gold, pred, rows, counts, confusion, duplicates)
        return
    for d0 in range(0, n, _CHUNK_DOCS):
        d1 = min(n, d0 + _CHUNK_DOCS)
        _score(_docs(gold, d0, d1), _docs(pred, d0, d1), rows[d0:d1], counts, confusion,
               duplicates)


def _score(gold: Columns, pred: Columns, rows: np.ndarray, counts: Counter,
           confusion: Counter, duplicates: Counter) -> None:
    """score_layers over one range of documents."""
    n = gold.n_docs

    def per_doc(doc: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        return np.bincount(doc, weights, minlength=n)

    # -- triggers
    gd, pd = gold.ev_doc, pred.ev_doc
    n_gev = len(gd)
    span = _keys((gd, pd), (gold.ev_start, pred.ev_start), (gold.ev_end, pred.ev_end))
    ident, _ = _match(span, n_gev)
    aligned, repeat = _match(_keys((span,), (gold.ev_type, pred.ev_type)), n_gev)
    del span
    ge_n, pe_n = per_doc(gd), per_doc(pd)
    al_j = np.flatnonzero(aligned >= 0)  # aligned pairs in prediction order
    al_i = aligned[al_j]
    al_doc = pd[al_j]
    al_n = per_doc(al_doc)
    for c in (TI, TC, FA, AT):
        rows[:, c] += ge_n
        rows[:, c + 1] += pe_n
    rows[:, TI + 2] += per_doc(pd[ident >= 0])
    rows[:, TC + 2] += al_n
    _tally(counts, "trigger_classification", EVENT_TYPES, gold.ev_type, 0)
    _tally(counts, "trigger_classification", EVENT_TYPES, pred.ev_type, 1)
    _tally(counts, "trigger_classification", EVENT_TYPES, pred.ev_type[al_j], 2)
    # Confusion: pairs by span, then unpaired gold and predicted triggers (EMPTY is code t).
    t = len(EVENT_TYPES)
    paired = ident >= 0
    gold_paired = np.zeros(n_gev, dtype=bool)
    gold_paired[ident[paired]] = True
    gold_type = np.full(len(pd), t, dtype=I64)
    gold_type[paired] = gold.ev_type[ident[paired]]
    codes = np.concatenate((gold_type * (t + 1) + pred.ev_type,
                            gold.ev_type[~gold_paired] * (t + 1) + t))
    names = [*EVENT_TYPES, EMPTY]
    for k, c in enumerate(np.bincount(codes, minlength=(t + 1) ** 2).tolist()):
        if c:
            confusion[(names[k // (t + 1)], names[k % (t + 1)])] += c
    duplicates["events"] += int(np.count_nonzero(repeat))

    # -- arguments
    ga_ev, pa_ev = gold.arg_event, pred.arg_event
    n_ga = len(ga_ev)
    ga_doc, pa_doc = gd[ga_ev], pd[pa_ev]
    ga_n, pa_n = per_doc(ga_doc), per_doc(pa_doc)
    for c in (AI, AC, AIF, ACF):
        rows[:, c] += ga_n
        rows[:, c + 1] += pa_n
    _tally(counts, "argument_classification", ROLES, gold.arg_role, 0)
    _tally(counts, "argument_classification", ROLES, pred.arg_role, 1)
    # Arguments of aligned events, keyed by the gold event's row (fast.py's gold event index;
    # it fixes the document). The class key refines the span key: one sort gives both.
    p_gev = aligned[pa_ev]
    sel = np.flatnonzero(p_gev >= 0)
    by_span = _keys((ga_ev, p_gev[sel]), (gold.arg_start, pred.arg_start[sel]),
                    (gold.arg_end, pred.arg_end[sel]))
    by_role = _keys((by_span,), (gold.arg_role, pred.arg_role[sel]))
    _, ((cls_row, cls_m), (id_row, id_m)) = _overlaps(by_role, n_ga, by_span)
    rows[:, AC + 2] += per_doc(ga_doc[cls_row], cls_m)  # first rows are gold rows
    _tally(counts, "argument_classification", ROLES, np.repeat(gold.arg_role[cls_row], cls_m), 2)
    rows[:, AI + 2] += per_doc(_pick(id_row, n_ga, ga_doc, pa_doc[sel]), id_m)
    # Trigger-free: keyed by document and event type.
    by_span = _keys((ga_doc, pa_doc), (gold.arg_start, pred.arg_start),
                    (gold.arg_end, pred.arg_end), (gold.ev_type[ga_ev], pred.ev_type[pa_ev]))
    by_role = _keys((by_span,), (gold.arg_role, pred.arg_role))
    order, ((cls_row, cls_m), (id_row, id_m)) = _overlaps(by_role, n_ga, by_span)
    rows[:, ACF + 2] += per_doc(ga_doc[cls_row], cls_m)
    rows[:, AIF + 2] += per_doc(_pick(id_row, n_ga, ga_doc, pa_doc), id_m)
    # Repeats within one event: in a run of equal (document, type, role, span) keys the
    # predicted rows keep their order, where each event's arguments are consecutive.
    bounds = _runs(by_role[order])
    same = np.ones(len(order), dtype=bool)
    same[bounds[:-1]] = False
    ev = np.concatenate((np.full(n_ga, -1, dtype=I64), pa_ev))[order]
    duplicates["arguments"] += int(np.count_nonzero(same[1:] & (ev[1:] >= 0)
                                                    & (ev[1:] == ev[:-1])))
    del by_span, by_role, order, ev, same

    # -- factuality and attribution of aligned events (labels from the gold event)
    for c in (FA, AT):
        rows[:, c + 3] += al_n
    fact = gold.ev_fact[al_i]
    ok = fact == pred.ev_fact[al_j]
    rows[:, FA + 2] += per_doc(al_doc[ok])
    _tally(counts, "factuality", FACTUALITY, fact, 3)
    _tally(counts, "factuality", FACTUALITY, fact[ok], 2)
    # Absent sources are (-1, -1) on both sides; present ones start at 0 or later.
    ok = ((gold.ev_src_start[al_i] == pred.ev_src_start[al_j])
          & (gold.ev_src_end[al_i] == pred.ev_src_end[al_j]))
    rows[:, AT + 2] += per_doc(al_doc[ok])
    has = (gold.ev_src_start[al_i] >= 0).astype(I64)
    _tally(counts, "attribution", ["no source", "source"], has, 3)
    _tally(counts, "attribution", ["no source", "source"], has[ok], 2)

    # -- B-cubed over aligned pairs, in prediction order
    by_gold = _keys((al_doc,), (gold.ev_coref[al_i],))
    n_gp, n_g = _sizes(_keys((by_gold,), (pred.ev_coref[al_j],)), by_gold)
    (n_p,) = _sizes(_keys((al_doc,), (pred.ev_coref[al_j],)))
    rows[:, B3] += al_n
    rows[:, B3 + 1] += _doc_sums(al_doc, n_gp / n_p, n)
    rows[:, B3 + 2] += _doc_sums(al_doc, n_gp / n_g, n)

    # -- numbers
    gnd, pnd = gold.num_doc, pred.num_doc
    n_gn = len(gnd)
    pair, repeat = _match(_keys((gnd, pnd), (gold.num_start, pred.num_start),
                                (gold.num_end, pred.num_end)), n_gn)
    b = np.flatnonzero(pair >= 0)
    a = pair[b]
    pair_doc = pnd[b]
    gn_n, pn_n, pair_n = per_doc(gnd), per_doc(pnd), per_doc(pair_doc)
    for c in (NS, NV, NB, NK):
        rows[:, c] += gn_n
        rows[:, c + 1] += pn_n
    rows[:, NS + 2] += pair_n
    for c in (NV, NB, NK):
        rows[:, c + 3] += pair_n
    qual = gold.num_qual[a]
    _tally(counts, "number_span", QUALIFIERS, gold.num_qual, 0)
    _tally(counts, "number_span", QUALIFIERS, pred.num_qual, 1)
    _tally(counts, "number_span", QUALIFIERS, qual, 2)
    rows[:, NV + 2] += per_doc(pair_doc[_close(gold.num_value[a], pred.num_value[b])])
    ok = qual == pred.num_qual[b]
    for has, val, incl in (("num_has_lower", "num_lower", "num_lower_incl"),
                           ("num_has_upper", "num_upper", "num_upper_incl")):
        gh, ph = getattr(gold, has)[a], getattr(pred, has)[b]
        # None == None, a value equals only an equal value (NaN never equal, as in Python)
        ok &= (gh == ph) & (~gh | (getattr(gold, val)[a] == getattr(pred, val)[b]))
        ok &= getattr(gold, incl)[a] == getattr(pred, incl)[b]
    rows[:, NB + 2] += per_doc(pair_doc[ok])
    _tally(counts, "number_bounds", QUALIFIERS, qual, 3)
    _tally(counts, "number_bounds", QUALIFIERS, qual[ok], 2)
    kind = gold.num_kind[a]
    ok = kind == pred.num_kind[b]
    rows[:, NK + 2] += per_doc(pair_doc[ok])
    _tally(counts, "number_kind", KINDS, kind, 3)
    _tally(counts, "number_kind", KINDS, kind[ok], 2)
    duplicates["numbers"] += int(np.count_nonzero(repeat))

    # -- event-count links: (event type, counted role, span) multisets
    gsel, gtype = _links(gold)
    psel, ptype = _links(pred)
    rows[:, NL] += per_doc(gnd[gsel])
    rows[:, NL + 1] += per_doc(pnd[psel])
    _tally(counts, "number_event_link", EVENT_TYPES, gtype, 0)
    _tally(counts, "number_event_link", EVENT_TYPES, ptype, 1)
    if len(gsel) and len(psel):
        _, ((row, m),) = _overlaps(_keys(
            (gnd[gsel], pnd[psel]), (gtype, ptype), (gold.num_role[gsel], pred.num_role[psel]),
            (gold.num_start[gsel], pred.num_start[psel]),
            (gold.num_end[gsel], pred.num_end[psel])), len(gsel))
        rows[:, NL + 2] += per_doc(gnd[gsel[row]], m)
        _tally(counts, "number_event_link", EVENT_TYPES, np.repeat(gtype[row], m), 2)
