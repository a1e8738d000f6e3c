"""The extraction pipeline every system shares: components fill an `Analysis`, `assemble` turns
it into a canonical `Prediction`. Systems differ only in how they fill the pieces."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from tally.schema.models import (
    Argument,
    Document,
    EventMention,
    ImplicitCount,
    NumberMention,
    NumberRelation,
    Prediction,
    Span,
    TimeExpression,
)
from tally.schema.ontology import load_ontology

from .heuristics import CLASS_LEXICON, normalize_time
from .numbers import normalize
from .tokens import Tokens

SOURCE = "source"  # the pseudo-role under which sources are tagged with arguments


@dataclass
class Event:
    i: int
    j: int
    type: str
    args: list[tuple[int, int, str]] = field(default_factory=list)
    source: tuple[int, int] | None = None
    factuality: str = "asserted"
    cluster: int | None = None  # index of the cluster's first mention, when a system decides


@dataclass
class Number:
    i: int
    j: int
    kind: str = "other"
    event: int | None = None  # index into Analysis.events
    role: str | None = None
    counted_class: str | None = None
    scope: str | None = None


@dataclass
class Analysis:
    doc: Document
    tok: Tokens
    events: list[Event] = field(default_factory=list)
    numbers: list[Number] = field(default_factory=list)
    times: list[tuple[int, int]] = field(default_factory=list)

    @property
    def anchor(self) -> dt.date:
        return dt.date.fromisoformat(self.doc.dateline.date)


def _span(tok: Tokens, i: int, j: int) -> Span:
    s, e = tok.char_span(i, j)
    return Span(start=s, end=e, text=tok.text[s:e])


def _coref(events: list[Event]) -> list[int]:
    """The system's clusters (`Event.cluster`, as indices of first mentions) when it set them;
    otherwise same type -> same cluster (the commonest case in news: one incident per type)."""
    if events and all(ev.cluster is not None for ev in events):
        return [ev.cluster for ev in events]
    first: dict[str, int] = {}
    out = []
    for k, ev in enumerate(events):
        out.append(first.setdefault(ev.type, k))
    return out


def _implicit(tok: Tokens, ev: Event, counted_roles: set[str]) -> list[ImplicitCount]:
    countable = set(load_ontology().event_types[ev.type].countable)
    out = []
    for i, j, role in ev.args:
        if role not in countable or role in counted_roles:
            continue
        words = [w.lower() for w in tok.words[i:j]]
        if words[0] in ("a", "an", "one") and len(words) <= 4:
            cls = next((CLASS_LEXICON[w + "s"] for w in words[1:] if w + "s" in CLASS_LEXICON),
                       None) or next((CLASS_LEXICON[w] for w in words[1:]
                                      if w in ("man", "woman", "child") and w in CLASS_LEXICON),
                                     None)
            if cls:
                out.append(ImplicitCount(role=role, counted_class=cls, value=1))
                counted_roles.add(role)
    return out


def assemble(a: Analysis) -> Prediction:
    """Canonical Prediction from an analysis: ids in text order, values normalized."""
    onto = load_ontology()
    tok = a.tok
    a.events.sort(key=lambda e: (e.i, e.j))
    order = sorted(range(len(a.numbers)), key=lambda k: (a.numbers[k].i, a.numbers[k].j))
    nums = [a.numbers[k] for k in order]
    times = sorted(set(a.times))
    tids = {t: f"t{k + 1}" for k, t in enumerate(times)}
    clusters = _coref(a.events)
    time_objs = []
    for k, (i, j) in enumerate(times):
        sp = _span(tok, i, j)
        typ, value, prec, mod = normalize_time(sp.text, a.anchor)
        time_objs.append(TimeExpression(id=f"t{k + 1}", span=sp, type=typ, value=value,
                                        precision=prec if typ == "date" else None, mod=mod))
    counted: dict[int, set[str]] = {}
    num_objs = []
    for k, n in enumerate(nums):
        sp = _span(tok, n.i, n.j)
        norm = normalize(sp.text)
        if norm is None:
            continue
        kind = n.kind
        ev = n.event if kind == "event_count" else None
        role = n.role
        if ev is not None:
            countable = onto.event_types[a.events[ev].type].countable
            if not countable:
                ev = None
            elif role not in countable:
                role = countable[0]
        if kind == "event_count" and ev is None:
            kind = "other"
        if ev is not None:
            counted.setdefault(ev, set()).add(role)
        num_objs.append(NumberMention(
            id=f"n{k + 1}", span=sp, value=norm.value, lower=norm.lower,
            lower_inclusive=norm.lower_inclusive, upper=norm.upper,
            upper_inclusive=norm.upper_inclusive, qualifier=norm.qualifier, kind=kind,
            unit=norm.unit if kind in ("money", "distance") else None,
            event=f"e{ev + 1}" if ev is not None else None,
            counted_role=role if ev is not None else None,
            counted_class=(n.counted_class or "people") if ev is not None else None,
            scope=(n.scope or "incident") if ev is not None else None,
        ))
    ev_objs = []
    for k, ev in enumerate(a.events):
        allowed = set(onto.event_types[ev.type].roles)
        args, seen = [], set()
        for i, j, role in ev.args:
            if role in allowed and (i, j, role) not in seen:
                seen.add((i, j, role))
                sp = _span(tok, i, j)
                args.append(Argument(start=sp.start, end=sp.end, text=sp.text, role=role))
        fact = ev.factuality
        source = _span(tok, *ev.source) if ev.source else None
        time = None
        sent = tok.sent[ev.i]
        best = None
        for t in times:
            if tok.sent[t[0]] == sent:
                d = abs(t[0] - ev.i)
                if best is None or d < best[0]:
                    best = (d, t)
        if best:
            time = tids[best[1]]
        ev_objs.append(EventMention(
            id=f"e{k + 1}", type=ev.type, trigger=_span(tok, ev.i, ev.j), arguments=args,
            factuality=fact, source=source, time=time, coref=f"e{clusters[k] + 1}",
            implicit_counts=_implicit(tok, ev, counted.setdefault(k, set())),
        ))
    return Prediction(id=a.doc.id, events=ev_objs, numbers=num_objs, times=time_objs,
                      relations=_relations(num_objs, ev_objs))


def _relations(nums: list[NumberMention], events: list[EventMention]) -> list[NumberRelation]:
    """restates / conflicts_with between counts of one event cluster, part_of after "including"."""
    cluster = {e.id: e.coref for e in events}
    source = {e.id: e.source.text.lower() if e.source else None for e in events}
    out = []
    counts = [n for n in nums if n.event]
    for b_idx, b in enumerate(counts):
        for a in counts[:b_idx]:
            if cluster[a.event] != cluster[b.event] or a.counted_role != b.counted_role:
                continue
            if a.value == b.value:
                out.append(NumberRelation(type="restates", source=b.id, target=a.id))
                break
            if b.value < a.value and a.event == b.event and b.span.start - a.span.end < 80:
                out.append(NumberRelation(type="part_of", source=b.id, target=a.id))
                break
            if source[a.event] != source[b.event]:
                out.append(NumberRelation(type="conflicts_with", source=b.id, target=a.id))
                break
    return out
