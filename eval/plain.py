"""Plain records for the scorer's inner loops (pydantic stays at the file boundary).

A `PDoc` holds one document's annotations as slotted dataclasses and tuples. It is built either
from a validated pydantic model (`from_model`) or straight from a parsed JSON object
(`from_json_fast`), which mirrors the pydantic model's rules and gives up (returns None) at the
first doubt so that pydantic can name the problem precisely.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tally.schema.models import (
    FORMAT_VERSION,
    CountedClass,
    Document,
    Factuality,
    NumberKind,
    Precision,
    Prediction,
    Qualifier,
    RelationType,
    Scope,
    TimeMod,
    TimeType,
)

PSpan = tuple[int, int, str]  # start, end (exclusive), text


@dataclass(slots=True)
class PEvent:
    id: str
    type: str
    trigger: PSpan
    args: list[tuple[str, PSpan]]  # (role, span)
    factuality: str
    source: PSpan | None
    time: str | None
    coref: str
    implicit: list[tuple[str, str, int, str]]  # (role, counted_class, value, scope)


@dataclass(slots=True)
class PNumber:
    id: str
    span: PSpan
    value: float
    lower: float | None
    lower_inclusive: bool
    upper: float | None
    upper_inclusive: bool
    qualifier: str
    kind: str
    event: str | None
    counted_role: str | None
    counted_class: str | None
    scope: str | None


@dataclass(slots=True)
class PDoc:
    id: str
    text: str | None
    events: list[PEvent] = field(default_factory=list)
    numbers: list[PNumber] = field(default_factory=list)
    time_ids: list[tuple[str, PSpan]] = field(default_factory=list)
    relations: list[tuple[str, str, str]] = field(default_factory=list)  # (type, source, target)
    format_version: str = FORMAT_VERSION


def _span(s) -> PSpan:
    return (s.start, s.end, s.text)


def from_model(m: Document | Prediction) -> PDoc:
    """Plain copy of a validated document or prediction."""
    events = [
        PEvent(e.id, e.type, _span(e.trigger), [(a.role, (a.start, a.end, a.text))
                                                 for a in e.arguments],
               e.factuality, _span(e.source) if e.source is not None else None, e.time, e.coref,
               [(i.role, i.counted_class, i.value, i.scope) for i in e.implicit_counts])
        for e in m.events
    ]
    numbers = [
        PNumber(n.id, _span(n.span), n.value, n.lower, n.lower_inclusive, n.upper,
                n.upper_inclusive, n.qualifier, n.kind, n.event, n.counted_role, n.counted_class,
                n.scope)
        for n in m.numbers
    ]
    return PDoc(m.id, m.text, events, numbers, [(t.id, _span(t.span)) for t in m.times],
                [(r.type, r.source, r.target) for r in m.relations], m.format_version)


# -- fast path from JSON -----------------------------------------------------------------------

class _Doubt(Exception):
    """The fast path cannot vouch for this object: let pydantic decide and explain."""


_ID = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")
_FACT = frozenset(Factuality)
_QUAL = frozenset(Qualifier)
_KIND = frozenset(NumberKind)
_CLASS = frozenset(CountedClass)
_SCOPE = frozenset(Scope)
_REL = frozenset(RelationType)
_TTYPE = frozenset(TimeType)
_PREC = frozenset(Precision)
_MOD = frozenset(TimeMod)

_PRED_KEYS = frozenset(("format_version", "id", "text", "events", "numbers", "times", "relations"))
_EVENT_KEYS = frozenset(("id", "type", "trigger", "arguments", "factuality", "source", "time",
                         "coref", "implicit_counts"))
_SPAN_KEYS = frozenset(("start", "end", "text"))
_ARG_KEYS = frozenset(("start", "end", "text", "role"))
_IMPL_KEYS = frozenset(("role", "counted_class", "value", "scope"))
_NUM_KEYS = frozenset(("id", "span", "value", "lower", "lower_inclusive", "upper",
                       "upper_inclusive", "qualifier", "kind", "unit", "event", "counted_role",
                       "counted_class", "scope"))
_TIME_KEYS = frozenset(("id", "span", "type", "value", "precision", "mod"))
_REL_KEYS = frozenset(("type", "source", "target"))


def _need(cond: bool) -> None:
    if not cond:
        raise _Doubt


_GOOD_IDS: set[str] = set()  # ids seen valid ("e1", "n2", ...): real submissions repeat them


def _id(x) -> str:
    if type(x) is str and x in _GOOD_IDS:
        return x
    _need(type(x) is str and len(x) <= 64 and _ID.fullmatch(x) is not None)
    if len(_GOOD_IDS) < 100_000:
        _GOOD_IDS.add(x)
    return x


def _opt_id(x) -> str | None:
    return None if x is None else _id(x)


def _str(x) -> str:
    _need(type(x) is str)
    return x


def _enum(x, allowed: frozenset) -> str:
    _need(type(x) is str and x in allowed)
    return x


def _opt_enum(x, allowed: frozenset) -> str | None:
    return None if x is None else _enum(x, allowed)


def _fspan(o, keys: frozenset = _SPAN_KEYS) -> PSpan:
    if type(o) is not dict or not o.keys() <= keys:
        raise _Doubt
    s, e, t = o.get("start"), o.get("end"), o.get("text")
    if (type(s) is not int or type(e) is not int or type(t) is not str
            or not 0 <= s < e or e - s != len(t)):
        raise _Doubt
    return (s, e, t)


def _list(x) -> list:
    _need(type(x) is list)
    return x


def _num(x) -> float:
    _need(type(x) is float or type(x) is int)
    return float(x)


def _opt_num(x) -> float | None:
    return None if x is None else _num(x)


def _bool(x) -> bool:
    _need(type(x) is bool)
    return x


_NO_ITEMS: list = []  # default for an absent list field (only ever iterated)


# _event and _number inline the checks of the helpers above (same rules, same doubts): they
# run for every mention of every prediction, and a call per field was most of the reader's time.
def _event(o) -> PEvent:
    if type(o) is not dict or not o.keys() <= _EVENT_KEYS:
        raise _Doubt
    get = o.get
    al = get("arguments", _NO_ITEMS)
    if type(al) is not list:
        raise _Doubt
    args = []
    for a in al:
        if type(a) is not dict or not a.keys() <= _ARG_KEYS:
            raise _Doubt
        s, e, t, r = a.get("start"), a.get("end"), a.get("text"), a.get("role")
        if (type(s) is not int or type(e) is not int or type(t) is not str
                or not 0 <= s < e or e - s != len(t) or type(r) is not str):
            raise _Doubt
        args.append((r, (s, e, t)))
    il = get("implicit_counts", _NO_ITEMS)
    if type(il) is not list:
        raise _Doubt
    impl = []
    for i in il:
        _need(type(i) is dict and i.keys() <= _IMPL_KEYS)
        v = i.get("value")
        _need(type(v) is int and v >= 1)
        impl.append((_str(i.get("role")), _enum(i.get("counted_class"), _CLASS), v,
                     _enum(i.get("scope", "incident"), _SCOPE)))
    eid, typ, fact, coref = get("id"), get("type"), get("factuality", "asserted"), get("coref")
    if type(eid) is not str or eid not in _GOOD_IDS:
        _id(eid)
    if type(coref) is not str or coref not in _GOOD_IDS:
        _id(coref)
    if type(typ) is not str or type(fact) is not str or fact not in _FACT:
        raise _Doubt
    src, time = get("source"), get("time")
    return PEvent(eid, typ, _fspan(get("trigger")), args, fact,
                  None if src is None else _fspan(src), None if time is None else _id(time),
                  coref, impl)


def _number(o) -> PNumber:
    if type(o) is not dict or not o.keys() <= _NUM_KEYS:
        raise _Doubt
    get = o.get
    nid, sp, unit, cr = get("id"), get("span"), get("unit"), get("counted_role")
    if type(nid) is not str or nid not in _GOOD_IDS:
        _id(nid)
    if (type(sp) is not dict or not sp.keys() <= _SPAN_KEYS
            or (unit is not None and type(unit) is not str)
            or (cr is not None and type(cr) is not str)):
        raise _Doubt
    s, e, t = sp.get("start"), sp.get("end"), sp.get("text")
    if (type(s) is not int or type(e) is not int or type(t) is not str
            or not 0 <= s < e or e - s != len(t)):
        raise _Doubt
    v, lo, hi = get("value"), get("lower"), get("upper")
    li, ui = get("lower_inclusive", True), get("upper_inclusive", True)
    q, k, ev = get("qualifier"), get("kind"), get("event")
    cc, sc = get("counted_class"), get("scope")
    tv = type(v)
    if tv is not float:
        _need(tv is int)
        v = float(v)
    if lo is not None and type(lo) is not float:
        _need(type(lo) is int)
        lo = float(lo)
    if hi is not None and type(hi) is not float:
        _need(type(hi) is int)
        hi = float(hi)
    if (type(li) is not bool or type(ui) is not bool or type(q) is not str or q not in _QUAL
            or type(k) is not str or k not in _KIND
            or (cc is not None and (type(cc) is not str or cc not in _CLASS))
            or (sc is not None and (type(sc) is not str or sc not in _SCOPE))):
        raise _Doubt
    if ev is not None and (type(ev) is not str or ev not in _GOOD_IDS):
        _id(ev)
    return PNumber(nid, (s, e, t), v, lo, li, hi, ui, q, k, ev, cr, cc, sc)


def _time(o) -> tuple[str, PSpan]:
    _need(type(o) is dict and o.keys() <= _TIME_KEYS)
    _enum(o.get("type", "date"), _TTYPE)
    _str(o.get("value"))
    _opt_enum(o.get("precision"), _PREC)
    _opt_enum(o.get("mod"), _MOD)
    return (_id(o.get("id")), _fspan(o.get("span")))


def _relation(o) -> tuple[str, str, str]:
    _need(type(o) is dict and o.keys() <= _REL_KEYS)
    return (_enum(o.get("type"), _REL), _id(o.get("source")), _id(o.get("target")))


def from_json_fast(obj: dict) -> PDoc | None:
    """A PDoc for a prediction object that surely passes `Prediction` validation, else None."""
    try:
        _need(obj.keys() <= _PRED_KEYS)
        text = obj.get("text")
        fv = obj.get("format_version", FORMAT_VERSION)
        _need((text is None or type(text) is str) and type(fv) is str)
        return PDoc(
            _id(obj.get("id")), text,
            [_event(e) for e in _list(obj.get("events", []))],
            [_number(n) for n in _list(obj.get("numbers", []))],
            [_time(t) for t in _list(obj.get("times", []))],
            [_relation(r) for r in _list(obj.get("relations", []))],
            fv,
        )
    except _Doubt:
        return None
