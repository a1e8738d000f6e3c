"""Event-count facts: extraction (restates chains collapsed), source normalisation, matching.

A fact is (event type, counted role, lower, upper, qualifier, source); a fact built from a
restates chain keeps every member as a variant. See eval/METRICS.md, "The Tally F1".
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy.optimize import linear_sum_assignment

from tally.eval.plain import PDoc

SOFT_TOLERANCE_DECADES = 1.0
_DETERMINERS = ("the ", "a ", "an ")
_EDGE = re.compile(r"^[\W_]+|[\W_]+$")
_SPACES = re.compile(r"\s+")
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})


@lru_cache(maxsize=8192)  # the same few sources recur in every document; pure function
def normalise_source(text: str | None) -> str:
    """'The NUG,' -> 'nug'; no source (the writer) -> ''."""
    if not text:
        return ""
    s = unicodedata.normalize("NFKC", text).translate(_QUOTES).lower()
    s = _SPACES.sub(" ", s).strip()
    while True:
        s = _EDGE.sub("", s)
        for d in _DETERMINERS:
            if s.startswith(d):
                s = s[len(d):]
                break
        else:
            return s


def _t(x: float) -> float:
    return math.log10(1.0 + max(x, 0.0))


def log_interval(lower: float | None, upper: float | None) -> tuple[float, float]:
    """[a, b] in t = log10(1 + x) space; an open end is closed one decade away."""
    if lower is None and upper is None:
        return (0.0, 1.0)
    a = _t(lower) if lower is not None else None
    b = _t(upper) if upper is not None else None
    if b is None:
        b = a + 1.0
    if a is None:
        a = max(0.0, b - 1.0)
    return (a, b)


def soft_credit(g: tuple[float, float], p: tuple[float, float],
                tolerance: float = SOFT_TOLERANCE_DECADES) -> float:
    """1 - mean endpoint distance in decades / tolerance, floored at 0."""
    return max(0.0, 1.0 - (abs(g[0] - p[0]) + abs(g[1] - p[1])) / (2.0 * tolerance))


@dataclass(slots=True)
class Variant:
    lower: float | None
    upper: float | None
    qualifier: str
    source: str
    interval: tuple[float, float]
    label: str  # for error listings: the number's id and span text

    @property
    def strict_key(self) -> tuple:
        return (self.lower, self.upper, self.qualifier, self.source)


@dataclass(slots=True)
class Fact:
    type: str
    role: str
    implicit: bool
    variants: list[Variant]

    def describe(self) -> str:
        v = self.variants[0]
        lo = "-inf" if v.lower is None else f"{v.lower:g}"
        hi = "inf" if v.upper is None else f"{v.upper:g}"
        src = v.source or "(writer)"
        more = f" (+{len(self.variants) - 1} restated)" if len(self.variants) > 1 else ""
        return f"{self.type}.{self.role} [{lo}, {hi}] {v.qualifier} source={src!r} {v.label}{more}"


def _find(parent: dict[str, str], x: str) -> str:
    while parent[x] != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x


def extract_facts(doc: PDoc) -> list[Fact]:
    """Explicit facts (restates chains collapsed) then implicit facts (collapsed per cluster)."""
    events = {e.id: e for e in doc.events}
    counts = [n for n in doc.numbers if n.kind == "event_count" and n.event in events
              and n.counted_role is not None]
    parent = {n.id: n.id for n in counts}
    for typ, src, tgt in doc.relations:
        if typ == "restates" and src in parent and tgt in parent:
            parent[_find(parent, src)] = _find(parent, tgt)
    groups: dict[str, list] = {}
    for n in counts:  # document order: the first member names the chain
        groups.setdefault(_find(parent, n.id), []).append(n)
    facts: list[Fact] = []
    for members in groups.values():
        by_key: dict[tuple[str, str], list[Variant]] = {}
        for n in members:
            ev = events[n.event]
            src = normalise_source(ev.source[2] if ev.source else None)
            var = Variant(n.lower, n.upper, n.qualifier, src, log_interval(n.lower, n.upper),
                          f"{n.id} {n.span[2]!r}")
            by_key.setdefault((ev.type, n.counted_role), []).append(var)
        # A chain that mixes event types or roles is not one fact: split it by (type, role).
        for (typ, role), vs in by_key.items():
            facts.append(Fact(typ, role, False, vs))
    implicit: dict[tuple, Fact] = {}
    for ev in doc.events:
        for role, cls, value, _scope in ev.implicit:
            key = (ev.coref, ev.type, role, cls, value)
            var = Variant(float(value), float(value), "exact",
                          normalise_source(ev.source[2] if ev.source else None),
                          log_interval(value, value), f"{ev.id} implicit {role}:{cls}:{value}")
            if key in implicit:
                implicit[key].variants.append(var)
            else:
                implicit[key] = Fact(ev.type, role, True, [var])
    facts.extend(implicit.values())
    return facts


def strict_credit(g: Fact, p: Fact) -> float:
    if g.type != p.type or g.role != p.role:
        return 0.0
    pk = {v.strict_key for v in p.variants}
    return 1.0 if any(v.strict_key in pk for v in g.variants) else 0.0


def soft_pair_credit(g: Fact, p: Fact, tolerance: float = SOFT_TOLERANCE_DECADES) -> float:
    if g.type != p.type or g.role != p.role:
        return 0.0
    return max(soft_credit(a.interval, b.interval, tolerance)
               for a in g.variants for b in p.variants)


def match_facts(gold: list[Fact], pred: list[Fact], soft: bool,
                tolerance: float = SOFT_TOLERANCE_DECADES) -> list[tuple[int, int, float]]:
    """Optimal one-to-one assignment maximising total credit; pairs with credit > 0."""
    if not gold or not pred:
        return []
    w = np.zeros((len(gold), len(pred)))
    for i, g in enumerate(gold):
        for j, p in enumerate(pred):
            w[i, j] = soft_pair_credit(g, p, tolerance) if soft else strict_credit(g, p)
    if not w.any():
        return []
    rows, cols = linear_sum_assignment(w, maximize=True)
    return [(int(r), int(c), float(w[r, c])) for r, c in zip(rows, cols, strict=True)
            if w[r, c] > 0]


def unlinked_repeats(facts: list[Fact]) -> int:
    """Strictly equal single-variant facts no restates relation joins (reported, not merged)."""
    seen: dict[tuple, int] = {}
    for f in facts:
        if not f.implicit and len(f.variants) == 1:
            k = (f.type, f.role, f.variants[0].strict_key)
            seen[k] = seen.get(k, 0) + 1
    return sum(k - 1 for k in seen.values() if k > 1)
