"""Span matching regimes and one-to-one pairing of predicted with gold items."""

from __future__ import annotations

import re
from collections.abc import Hashable, Sequence

import numpy as np
from scipy.optimize import linear_sum_assignment

from tally.eval.plain import PSpan
from tally.schema.diagnostics import TallyError

_WORD = re.compile(r"\w+")
TOKEN_F1_THRESHOLD = 0.5

Item = tuple[Hashable, PSpan]  # (key that must be equal, span)


def check_regime(regime: str) -> None:
    from tally.eval.version import REGIMES

    if regime not in REGIMES:
        raise TallyError(f"unknown matching regime {regime!r}; expected one of {list(REGIMES)}")


def _tokens(sp: PSpan) -> frozenset[tuple[int, int]]:
    s, e, t = sp
    toks = frozenset((s + m.start(), s + m.end()) for m in _WORD.finditer(t))
    return toks or frozenset({(s, e)})


def similarity(g: PSpan, p: PSpan, regime: str) -> float:
    """> 0 when the spans match under the regime (the value ranks candidate pairs)."""
    if regime == "exact":
        return 1.0 if g[0] == p[0] and g[1] == p[1] else 0.0
    if regime == "overlap":
        inter = min(g[1], p[1]) - max(g[0], p[0])
        if inter <= 0:
            return 0.0
        return inter / (max(g[1], p[1]) - min(g[0], p[0]))
    a, b = _tokens(g), _tokens(p)
    f1 = 2 * len(a & b) / (len(a) + len(b))
    return f1 if f1 >= TOKEN_F1_THRESHOLD else 0.0


def pair(gold: Sequence[Item], pred: Sequence[Item], regime: str) -> list[tuple[int, int]]:
    """One-to-one (gold index, pred index) pairs of items with equal keys and matching spans.

    exact: multiset pairing of equal (key, start, end) in document order. Other regimes:
    Hungarian assignment maximising 2 + similarity, i.e. the most matches, then the closest.
    """
    if not gold or not pred:
        return []
    if regime == "exact":
        slots: dict = {}
        for i, (k, sp) in enumerate(gold):
            slots.setdefault((k, sp[0], sp[1]), []).append(i)
        out = []
        for j, (k, sp) in enumerate(pred):
            lst = slots.get((k, sp[0], sp[1]))
            if lst:
                out.append((lst.pop(0), j))
        return out
    groups: dict = {}
    for i, (k, _) in enumerate(gold):
        groups.setdefault(k, ([], []))[0].append(i)
    for j, (k, _) in enumerate(pred):
        if k in groups:
            groups[k][1].append(j)
    out = []
    for gi, pj in groups.values():
        if not pj:
            continue
        w = np.zeros((len(gi), len(pj)))
        for a, i in enumerate(gi):
            for b, j in enumerate(pj):
                s = similarity(gold[i][1], pred[j][1], regime)
                if s > 0:
                    w[a, b] = 2.0 + s
        if not w.any():
            continue
        rows, cols = linear_sum_assignment(w, maximize=True)
        out.extend((gi[r], pj[c]) for r, c in zip(rows, cols, strict=True) if w[r, c] > 0)
    out.sort()
    return out
