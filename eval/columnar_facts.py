"""The Tally F1 (strict, soft and their explicit-only variants) over all documents at once.

Columnar counterpart of `fast._facts` (with `prepare_gold`'s gold side and `extract_facts`):
same rows, counts and soft-credit sums, bit for bit (tests/test_columnar_facts.py).

- Facts are extracted from the columns with sorting and grouping: restates chains are the
  connected components of the restates relations between counted numbers, over all documents
  at once; facts keep `extract_facts`'s order (chains by first member, each split by
  (type, role) in first-member order, then implicit facts) so that gold fact indices, which
  decide the order of the soft-credit sums, are the reference's.
- Candidate pairs (same document, type and role) and their credits are computed for every
  variant pair at once, with the reference's float expression.
- Strict matchings: only their size per (type, role) counts, hence per connected component of
  the candidate graph; a complete bipartite component of g gold and p predicted facts matches
  min(g, p). Other components (rare: multi-variant facts) run `fast._max_matching`.
- Soft matchings: forced documents (no fact with two candidates) match every candidate pair.
  Others run the reference's `linear_sum_assignment` on the document's whole matrix: the choice
  among (near-)tied optima depends on its float internals, so nothing else may stand in for it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import partial

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from tally.eval.columns import (
    EVENT_TYPES,
    I64,
    KIND_EVENT_COUNT,
    NONE,
    QUALIFIER_EXACT,
    QUALIFIERS,
    RELATION_RESTATES,
    ROLES,
    Columns,
)
from tally.eval.facts import log_interval
from tally.eval.fast import _P, FACT_METRICS, _max_matching

_NT, _NR = len(EVENT_TYPES), len(ROLES)


# -- helpers --------------------------------------------------------------------------------

def _key(doc: np.ndarray, code: np.ndarray, n_codes: int) -> np.ndarray:
    """(document, id code) as one int64 (NONE codes included)."""
    return doc.astype(I64) * (n_codes + 1) + (code + 1)


def _lookup(keys: np.ndarray, table: np.ndarray) -> np.ndarray:
    """Row of `table` holding each key (the last one when repeated, as a dict keeps), or -1."""
    if not len(table) or not len(keys):
        return np.full(len(keys), -1, dtype=I64)
    srt = np.argsort(table, kind="stable")
    sk = table[srt]
    last = np.ones(len(sk), dtype=bool)
    last[:-1] = sk[1:] != sk[:-1]
    sk, srt = sk[last], srt[last]
    pos = np.minimum(np.searchsorted(sk, keys), len(sk) - 1)
    return np.where(sk[pos] == keys, srt[pos], -1)


def _dense(*cols: np.ndarray) -> np.ndarray:
    """Equal rows (column by column, floats by ==) get equal codes 0..k-1."""
    n = len(cols[0])
    if not n:
        return np.zeros(0, dtype=I64)
    o = np.lexsort(cols[::-1])
    diff = np.zeros(n, dtype=bool)
    for c in cols:
        s = c[o]
        diff[1:] |= s[1:] != s[:-1]
    out = np.empty(n, dtype=I64)
    out[o] = np.cumsum(diff)
    return out


def _first(codes: np.ndarray, n: int) -> np.ndarray:
    """Position of the first occurrence of each code 0..n-1."""
    out = np.full(n, len(codes), dtype=I64)
    np.minimum.at(out, codes, np.arange(len(codes), dtype=I64))
    return out


def _expand(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For items with `counts` each: (item of every slot, slot's offset within its item)."""
    item = np.repeat(np.arange(len(counts), dtype=I64), counts)
    start = np.cumsum(counts) - counts
    return item, np.arange(len(item), dtype=I64) - start[item]


def _t(x: np.ndarray) -> np.ndarray:
    """log10(1 + max(x, 0)) through facts.log_interval itself, once per distinct value."""
    if not len(x):
        return np.zeros(0)
    u, inv = np.unique(x, return_inverse=True)
    return np.array([log_interval(v, v)[0] for v in u.tolist()])[inv]


# -- facts ----------------------------------------------------------------------------------

@dataclass(slots=True)
class _Facts:
    """One side's facts, in document order and within a document in `extract_facts` order,
    and their variants grouped by fact in member order."""

    n_docs: int
    doc: np.ndarray        # per fact
    type: np.ndarray
    role: np.ndarray
    implicit: np.ndarray   # bool
    local: np.ndarray      # index in its document's fact list
    var_start: np.ndarray  # first variant row
    n_var: np.ndarray
    doc_start: np.ndarray  # per document: first fact row
    n_facts: np.ndarray    # per document
    n_explicit: np.ndarray  # per document
    # variants
    lower: np.ndarray      # float64, 0.0 when absent (for keys)
    has_lower: np.ndarray
    upper: np.ndarray
    has_upper: np.ndarray
    qual: np.ndarray
    src: np.ndarray        # code into `sources`
    a: np.ndarray          # log interval
    b: np.ndarray
    sources: list[str]


def _extract(c: Columns) -> _Facts:
    """`facts.extract_facts` of every document at once."""
    n_ids = len(c.ids)
    # Explicit: event_count numbers linked to an existing event, with a counted role.
    cn = np.flatnonzero((c.num_kind == KIND_EVENT_COUNT) & (c.num_role != NONE)
                        & (c.num_event != NONE))
    er = _lookup(_key(c.num_doc[cn], c.num_event[cn], n_ids), _key(c.ev_doc, c.ev_id, n_ids))
    cn, er = cn[er >= 0], er[er >= 0]
    nk = _key(c.num_doc[cn], c.num_id[cn], n_ids)
    nodes, node_of = np.unique(nk, return_inverse=True)
    rel = np.flatnonzero(c.rel_type == RELATION_RESTATES)
    s = _lookup(_key(c.rel_doc[rel], c.rel_source[rel], n_ids), nodes)
    t = _lookup(_key(c.rel_doc[rel], c.rel_target[rel], n_ids), nodes)
    ok = (s >= 0) & (t >= 0)
    graph = coo_matrix((np.ones(int(ok.sum())), (s[ok], t[ok])), shape=(len(nodes),) * 2)
    _, label = connected_components(graph, directed=False)
    chain = label[node_of]
    chain_first = cn[_first(chain, len(nodes))[chain]] if len(cn) else cn  # per number
    e_type, e_role = c.ev_type[er], c.num_role[cn]
    _, ffirst, fcode = np.unique((chain * _NT + e_type) * _NR + e_role, return_index=True,
                                 return_inverse=True)
    n_ef = len(ffirst)
    # Implicit: (coref, type, role, class, value) per document, in event order.
    ie = c.imp_event
    i_doc, i_type = c.ev_doc[ie], c.ev_type[ie]
    icode = _dense(i_doc, c.ev_coref[ie], i_type, c.imp_role, c.imp_class, c.imp_value)
    n_if = int(icode.max()) + 1 if len(icode) else 0
    ifirst = _first(icode, n_if)
    # All facts: per document, chains by first member, split by first member; then implicit.
    f_doc = np.concatenate([c.num_doc[cn][ffirst], i_doc[ifirst]]).astype(I64)
    f_imp = np.concatenate([np.zeros(n_ef, bool), np.ones(n_if, bool)])
    k1 = np.concatenate([chain_first[ffirst], ifirst])
    k2 = np.concatenate([cn[ffirst], ifirst])
    fo = np.lexsort((k2, k1, f_imp, f_doc))
    rank = np.empty(len(fo), dtype=I64)
    rank[fo] = np.arange(len(fo))
    # Variants, grouped by (sorted) fact in member order.
    v_fact = np.concatenate([rank[fcode], rank[n_ef + icode]]) if len(fo) else np.zeros(0, I64)
    v_row = np.concatenate([cn, np.arange(len(ie))])
    vo = np.lexsort((v_row, v_fact))
    ival = c.imp_value.astype(np.float64)
    n_i = len(ie)
    has_lo = np.concatenate([c.num_has_lower[cn], np.ones(n_i, bool)])[vo]
    has_hi = np.concatenate([c.num_has_upper[cn], np.ones(n_i, bool)])[vo]
    lo = np.where(has_lo, np.concatenate([c.num_lower[cn], ival])[vo], 0.0)
    hi = np.where(has_hi, np.concatenate([c.num_upper[cn], ival])[vo], 0.0)
    qual = np.concatenate([c.num_qual[cn], np.full(n_i, QUALIFIER_EXACT, I64)])[vo]
    src = np.concatenate([c.ev_src[er], c.ev_src[ie]])[vo]
    # log_interval: an open end is closed one decade away; no bounds at all is (0, 1).
    tl, th = np.split(_t(np.concatenate([lo, hi])), [len(lo)])
    a = np.where(has_lo, tl, 0.0)
    b = np.where(has_hi, th, a + 1.0)
    a = np.where(has_lo, a, np.maximum(0.0, b - 1.0))
    none = ~has_lo & ~has_hi
    a[none], b[none] = 0.0, 1.0
    f_type = np.concatenate([e_type[ffirst], i_type[ifirst]])[fo]
    f_role = np.concatenate([e_role[ffirst], c.imp_role[ifirst]])[fo]
    f_doc, f_imp = f_doc[fo], f_imp[fo]
    n_var = np.bincount(v_fact, minlength=len(fo)).astype(I64)
    per_doc = np.bincount(f_doc, minlength=c.n_docs).astype(I64)
    doc_start = np.cumsum(per_doc) - per_doc
    return _Facts(
        c.n_docs, f_doc, f_type.astype(I64), f_role.astype(I64), f_imp,
        np.arange(len(fo), dtype=I64) - doc_start[f_doc], np.cumsum(n_var) - n_var, n_var,
        doc_start, per_doc, np.bincount(f_doc[~f_imp], minlength=c.n_docs).astype(I64),
        lo, has_lo, hi, has_hi, qual, src, a, b, list(c.sources))


@dataclass(slots=True)
class GoldFacts:
    """The gold side of the fact metrics, the same for every submission."""

    facts: _Facts
    by_block: np.ndarray       # gold facts sorted by (document, type, role), stable
    blocks: np.ndarray         # their sorted block keys
    gold_rows: np.ndarray      # (n_docs, 4): column 0 of each fact metric
    gold_counts: Counter       # (metric, type, 0) keys
    packed: np.ndarray         # per variant, see _packed


def _block(f: _Facts) -> np.ndarray:
    return (f.doc * _NT + f.type) * _NR + f.role


def _per_metric(f: _Facts, col: int) -> tuple[np.ndarray, Counter]:
    """Per-document fact counts of each metric (all facts, then explicit ones) and the
    (metric, type, col) keys."""
    out = np.zeros((f.n_docs, len(FACT_METRICS)))
    keys: Counter = Counter()
    for m, (metric, _, explicit) in enumerate(FACT_METRICS):
        sel = ~f.implicit if explicit else np.ones(len(f.doc), bool)
        out[:, m] = np.bincount(f.doc[sel], minlength=f.n_docs)
        for t, n in enumerate(np.bincount(f.type[sel], minlength=_NT).tolist()):
            if n:
                keys[(metric, EVENT_TYPES[t], col)] = n
    return out, keys


def prepare_gold_facts(gold: Columns) -> GoldFacts:
    f = _extract(gold)
    blk = _block(f)
    order = np.argsort(blk, kind="stable")
    rows, counts = _per_metric(f, 0)
    return GoldFacts(f, order, blk[order], rows, counts, _packed(f, f.src))


# -- scoring --------------------------------------------------------------------------------

def _packed(f: _Facts, src: np.ndarray) -> np.ndarray:
    """The non-float part of each variant's strict key (bound flags, qualifier, source code)
    as one int64; the bounds are compared as floats (0.0 when absent), as tuples compare."""
    return ((src * len(QUALIFIERS) + f.qual) * 2 + f.has_lower) * 2 + f.has_upper


def _source_map(g: _Facts, p: _Facts) -> np.ndarray:
    """Predicted source codes -> gold source codes (new strings after the gold's)."""
    table = {s: i for i, s in enumerate(g.sources)}
    return np.array([table.setdefault(s, len(table)) for s in p.sources] or [0], dtype=I64)


def _strict_matched(pg: np.ndarray, pp: np.ndarray, n_g: int, n_p: int
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Size of a maximum matching of each connected component of the candidate graph, and a
    gold fact of the component (for its document and type)."""
    lone = (np.bincount(pg, minlength=n_g)[pg] == 1) & (np.bincount(pp, minlength=n_p)[pp] == 1)
    if lone.all():  # every pair is a component of its own (the usual case)
        return np.ones(len(pg), I64), pg
    rest_g, rest_p = pg[~lone], pp[~lone]
    ug, gi = np.unique(rest_g, return_inverse=True)
    up, pi = np.unique(rest_p, return_inverse=True)
    n = len(ug)
    graph = coo_matrix((np.ones(len(gi)), (gi, n + pi)), shape=(n + len(up),) * 2)
    n_comp, label = connected_components(graph, directed=False)
    comp = label[gi]
    edges = np.bincount(comp, minlength=n_comp)
    ng = np.bincount(label[:n], minlength=n_comp)
    npr = np.bincount(label[n:], minlength=n_comp)
    size = np.minimum(ng, npr)
    rep = np.zeros(n_comp, I64)
    rep[comp] = rest_g
    for k in np.flatnonzero(edges != ng * npr).tolist():
        sel = comp == k  # not complete bipartite: find a maximum matching
        pairs = zip(rest_g[sel].tolist(), rest_p[sel].tolist(), strict=True)
        size[k] = len(_max_matching([(i, j, 1.0) for i, j in pairs]))
    return np.concatenate([np.ones(int(lone.sum()), I64), size]), np.r_[pg[lone], rep]


class _Fallback:
    """How many documents ran the reference's linear_sum_assignment (read by the tests)."""

    docs: int = 0


FALLBACK = _Fallback()
_LSA = partial(linear_sum_assignment, maximize=True)


def _assign_docs(d: np.ndarray, gl: np.ndarray, pl: np.ndarray, cl: np.ndarray,
                 n_g: np.ndarray, n_p: np.ndarray, start: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
    """`scoring._assign` of every document's credit matrix (n_g x n_p, zero outside the
    candidates (d, gl, pl, cl)): (gold fact, credit) of the positive pairs it assigns.

    The same linear_sum_assignment call on the same matrix; the matrices of one shape are
    built at once and the calls made by `map`, with no Python work per pair."""
    shape = n_g * (int(n_p.max()) + 1) + n_p
    o = np.lexsort((d, shape[d]))
    d, gl, pl, cl = d[o], gl[o], pl[o], cl[o]
    new = np.r_[True, d[1:] != d[:-1]]
    rank = np.cumsum(new) - 1
    code = shape[d]
    cuts = np.flatnonzero(code[1:] != code[:-1]) + 1
    mg, mc = [], []
    for lo, hi in zip(np.r_[0, cuts].tolist(), np.r_[cuts, len(d)].tolist(), strict=True):
        docs = d[lo:hi][new[lo:hi]]
        t = rank[lo:hi] - rank[lo]
        w = np.zeros((len(docs), int(n_g[docs[0]]), int(n_p[docs[0]])))
        w[t, gl[lo:hi], pl[lo:hi]] = cl[lo:hi]
        res = np.array(list(map(_LSA, w)), dtype=I64)  # (docs, 2, min(n_g, n_p))
        r, c = res[:, 0], res[:, 1]
        x = w[np.arange(len(docs))[:, None], r, c]
        keep = x > 0
        mg.append((start[docs][:, None] + r)[keep])
        mc.append(x[keep])
    FALLBACK.docs += int(new.sum())
    return np.concatenate(mg), np.concatenate(mc)


def _soft_matches(g: _Facts, p: _Facts, pg: np.ndarray, pp: np.ndarray, c: np.ndarray,
                  explicit: bool) -> tuple[np.ndarray, np.ndarray]:
    """Optimal assignment of the soft candidates: (gold fact, credit) of every match."""
    if not len(pg):
        return pg, c
    many = (np.bincount(pg, minlength=len(g.doc)) > 1)[pg]
    many |= (np.bincount(pp, minlength=len(p.doc)) > 1)[pp]
    hard = np.zeros(g.n_docs, bool)
    hard[g.doc[pg[many]]] = True
    easy = ~hard[g.doc[pg]]
    if easy.all():
        return pg, c
    sel = ~easy
    # The explicit variants' matrix is the explicit facts' submatrix: explicit facts come
    # first in each document, so it is the top-left block, with the same indices.
    n_g = g.n_explicit if explicit else g.n_facts
    n_p = p.n_explicit if explicit else p.n_facts
    mg, mc = _assign_docs(g.doc[pg[sel]], g.local[pg[sel]], p.local[pp[sel]], c[sel],
                          n_g, n_p, g.doc_start)
    return np.concatenate([pg[easy], mg]), np.concatenate([c[easy], mc])


def score_facts(gold: Columns, pred: Columns, order: np.ndarray, tolerance: float,
                rows: np.ndarray, counts: Counter, credit: dict, duplicates: Counter,
                gold_facts: GoldFacts | None = None) -> None:
    """Fill the four fact metrics' columns of `rows` (gold order) and add their breakdown
    counts, soft credits and `facts_unlinked_repeats`, as `fast.score_exact` does for every
    document in `order` (the scoring order, which the float credit sums depend on)."""
    gfx = gold_facts if gold_facts is not None else prepare_gold_facts(gold)
    g, p = gfx.facts, _extract(pred)
    n_docs = g.n_docs
    pos = np.empty(n_docs, dtype=I64)
    pos[np.asarray(order, dtype=I64)] = np.arange(n_docs, dtype=I64)
    prow, pcounts = _per_metric(p, 1)
    counts.update(gfx.gold_counts)
    counts.update(pcounts)
    gpk, ppk = gfx.packed, _packed(p, _source_map(g, p)[p.src])

    # unlinked_repeats: single-variant explicit facts strictly equal to an earlier one
    single = np.flatnonzero(~p.implicit & (p.n_var == 1))
    v = p.var_start[single]
    uk = _dense(_block(p)[single], p.lower[v], p.upper[v], ppk[v])
    duplicates["facts_unlinked_repeats"] += len(single) - (int(uk.max()) + 1 if len(uk) else 0)

    # Candidate pairs: same document, type and role, in (pred, gold) order.
    pb = _block(p)
    lo = np.searchsorted(gfx.blocks, pb, "left")
    n_c = np.searchsorted(gfx.blocks, pb, "right") - lo
    pp, off = _expand(n_c)
    pg = gfx.by_block[lo[pp] + off]
    # Every (gold variant, predicted variant) pair, gold variants outermost.
    pair, off = _expand(g.n_var[pg] * p.n_var[pp])
    pnv = p.n_var[pp][pair]
    gi = g.var_start[pg][pair] + off // pnv
    pi = p.var_start[pp][pair] + off % pnv
    two_tol = 2.0 * tolerance
    cr = 1.0 - (np.abs(g.a[gi] - p.a[pi]) + np.abs(g.b[gi] - p.b[pi])) / two_tol
    if len(pg):
        starts = np.cumsum(g.n_var[pg] * p.n_var[pp]) - g.n_var[pg] * p.n_var[pp]
        best = np.maximum(np.maximum.reduceat(cr, starts), 0.0)
        same = (g.lower[gi] == p.lower[pi]) & (g.upper[gi] == p.upper[pi])
        same &= gpk[gi] == ppk[pi]
        strict = np.logical_or.reduceat(same, starts)
    else:
        best, strict = np.zeros(0), np.zeros(0, bool)
    both = ~g.implicit[pg] & ~p.implicit[pp]

    for m, (metric, is_soft, explicit) in enumerate(FACT_METRICS):
        col = _P[metric]
        rows[:, col] = gfx.gold_rows[:, m]
        rows[:, col + 1] = prow[:, m]
        sel = (best > 0) if is_soft else strict
        if explicit:
            sel = sel & both
        if not is_soft:
            size, rep = _strict_matched(pg[sel], pp[sel], len(g.doc), len(p.doc))
            rows[:, col + 2] = np.bincount(g.doc[rep], weights=size, minlength=n_docs)
            for t, n in enumerate(np.bincount(g.type[rep], weights=size,
                                              minlength=_NT).tolist()):
                if n:
                    counts[(metric, EVENT_TYPES[t], 2)] += int(n)
            continue
        if not explicit:
            mg, mc = soft = _soft_matches(g, p, pg[sel], pp[sel], best[sel], False)
        else:
            # Without implicit facts on either side a document's explicit matching is its full
            # one (same candidates, same matrix): assign only the others again.
            imp = (g.n_facts != g.n_explicit) | (p.n_facts != p.n_explicit)
            sel &= imp[g.doc[pg]]
            mg, mc = _soft_matches(g, p, pg[sel], pp[sel], best[sel], True)
            keep = ~imp[g.doc[soft[0]]]
            mg, mc = np.concatenate([soft[0][keep], mg]), np.concatenate([soft[1][keep], mc])
        # Row sums per document in gold fact order; credits in scoring order, then gold order.
        o = np.argsort(mg, kind="stable")
        rows[:, col + 2] = np.bincount(g.doc[mg[o]], weights=mc[o], minlength=n_docs)
        o = np.lexsort((mg, pos[g.doc[mg]]))
        mt, mc = g.type[mg[o]], mc[o]
        sums = np.bincount(mt, weights=mc, minlength=_NT)
        for t in np.unique(mt).tolist():
            k = (metric, EVENT_TYPES[t])
            if k in credit:  # continue the running sum (not the case for a fresh accumulator)
                s = credit[k]
                for x in mc[mt == t].tolist():
                    s += x
                credit[k] = s
            else:
                credit[k] = float(sums[t])
