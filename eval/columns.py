"""One side of an evaluation (gold or predictions) as flat arrays: the columnar scorer's input.

Every table is a set of equal-length numpy arrays, one row per item, rows grouped by document in
gold-document order and, within a document, in the document's own order (the order the
reference scorer walks). Strings become integer codes:

- closed vocabularies (event types, roles, factuality, qualifier, kind, class, scope, relation
  type) index the module-level lists below, the same for both sides;
- mention ids (event, number and time ids, coref ids, and the references to them) index
  `Columns.ids`, one code space per side: ids are only compared within a side and a document;
- event sources are kept normalised (`facts.normalise_source`) as codes into
  `Columns.sources`, whose entry 0 is "" (no source: the writer). Compare sources of the two
  sides by their strings, not their codes.

`from_pdocs` builds the columns from plain records, one Python loop per item: it is the
reference the fast reader (`columnar_read`) is tested against, and the way a library caller's
objects reach the columnar scorer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields

import numpy as np

from tally.eval.facts import normalise_source
from tally.eval.plain import PDoc
from tally.schema import models as M
from tally.schema.ontology import load_ontology

_ONTO = load_ontology()
EVENT_TYPES: list[str] = list(_ONTO.event_types)
ROLES: list[str] = sorted({r for et in _ONTO.event_types.values()
                           for r in (*et.roles, *et.countable)})
FACTUALITY: list[str] = [x.value for x in M.Factuality]
QUALIFIERS: list[str] = [x.value for x in M.Qualifier]
KINDS: list[str] = [x.value for x in M.NumberKind]
CLASSES: list[str] = [x.value for x in M.CountedClass]
SCOPES: list[str] = [x.value for x in M.Scope]
RELATIONS: list[str] = [x.value for x in M.RelationType]

# Codes of a few values the scorer tests for.
KIND_EVENT_COUNT = KINDS.index("event_count")
RELATION_RESTATES = RELATIONS.index("restates")
QUALIFIER_EXACT = QUALIFIERS.index("exact")

NONE = -1  # code of an absent optional value (time, event link, counted role, class, scope)

I64 = np.int64


@dataclass(slots=True)
class Columns:
    """One side of an evaluation; see the module docstring for codes and order.

    `doc` columns hold the gold-document index (0 .. n_docs-1). Offsets are in code points.
    Absent bounds are NaN with their `has_` flag False; absent spans are -1.
    """

    n_docs: int
    # events
    ev_doc: np.ndarray        # int64
    ev_id: np.ndarray         # int64, code into ids
    ev_type: np.ndarray       # int64, index into EVENT_TYPES
    ev_start: np.ndarray      # int64, trigger
    ev_end: np.ndarray        # int64
    ev_fact: np.ndarray       # int64, index into FACTUALITY
    ev_src_start: np.ndarray  # int64, -1 without a source
    ev_src_end: np.ndarray    # int64, -1 without a source
    ev_src: np.ndarray        # int64, code into sources (0: no source)
    ev_time: np.ndarray       # int64, code into ids, NONE without a time
    ev_coref: np.ndarray      # int64, code into ids
    # arguments, grouped by event in event order
    arg_event: np.ndarray     # int64, row of the event in the event table
    arg_role: np.ndarray      # int64, index into ROLES
    arg_start: np.ndarray     # int64
    arg_end: np.ndarray       # int64
    # implicit counts, grouped by event in event order
    imp_event: np.ndarray     # int64, row of the event
    imp_role: np.ndarray      # int64, index into ROLES
    imp_class: np.ndarray     # int64, index into CLASSES
    imp_value: np.ndarray     # int64
    imp_scope: np.ndarray     # int64, index into SCOPES
    # numbers
    num_doc: np.ndarray       # int64
    num_id: np.ndarray        # int64, code into ids
    num_start: np.ndarray     # int64
    num_end: np.ndarray       # int64
    num_value: np.ndarray     # float64
    num_lower: np.ndarray     # float64, NaN when absent
    num_has_lower: np.ndarray  # bool
    num_lower_incl: np.ndarray  # bool
    num_upper: np.ndarray     # float64, NaN when absent
    num_has_upper: np.ndarray  # bool
    num_upper_incl: np.ndarray  # bool
    num_qual: np.ndarray      # int64, index into QUALIFIERS
    num_kind: np.ndarray      # int64, index into KINDS
    num_event: np.ndarray     # int64, code into ids, NONE without a link
    num_role: np.ndarray      # int64, index into ROLES, NONE without a counted role
    num_class: np.ndarray     # int64, index into CLASSES, NONE when absent
    num_scope: np.ndarray     # int64, index into SCOPES, NONE when absent
    # time expressions
    time_doc: np.ndarray      # int64
    time_id: np.ndarray       # int64, code into ids
    time_start: np.ndarray    # int64
    time_end: np.ndarray      # int64
    # relations between numbers
    rel_doc: np.ndarray       # int64
    rel_type: np.ndarray      # int64, index into RELATIONS
    rel_source: np.ndarray    # int64, code into ids
    rel_target: np.ndarray    # int64, code into ids
    # string tables
    ids: list[str]
    sources: list[str]

    def equals(self, other: Columns) -> bool:
        """Same tables, with codes compared through their strings (for tests)."""
        if self.n_docs != other.n_docs:
            return False
        for f in fields(self):
            a, b = getattr(self, f.name), getattr(other, f.name)
            if f.name in ("n_docs", "ids", "sources"):
                continue
            if f.name in _ID_COLUMNS:
                a = [self.ids[x] if x >= 0 else None for x in a.tolist()]
                b = [other.ids[x] if x >= 0 else None for x in b.tolist()]
            elif f.name == "ev_src":
                a = [self.sources[x] for x in a.tolist()]
                b = [other.sources[x] for x in b.tolist()]
            else:
                a, b = np.asarray(a), np.asarray(b)
                if a.shape != b.shape or not np.array_equal(a, b, equal_nan=a.dtype.kind == "f"):
                    return False
                continue
            if a != b:
                return False
        return True


_ID_COLUMNS = frozenset(("ev_id", "ev_time", "ev_coref", "num_id", "num_event", "time_id",
                         "rel_source", "rel_target"))


def offsets(counts: np.ndarray) -> np.ndarray:
    """CSR offsets (length n + 1) of per-row item counts."""
    off = np.zeros(len(counts) + 1, I64)
    np.cumsum(counts, out=off[1:])
    return off


def segments(offs: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Indices of the items of `rows` (in that order) given per-row item offsets."""
    starts, counts = offs[rows], offs[rows + 1] - offs[rows]
    total = int(counts.sum())
    if not total:
        return np.zeros(0, I64)
    shift = starts - (np.cumsum(counts) - counts)
    return np.repeat(shift, counts) + np.arange(total, dtype=I64)


def table_offsets(c: Columns) -> dict[str, np.ndarray]:
    """Per table, the CSR offsets of its rows by document (events, numbers, times, relations)
    or by event (arguments, implicit counts): what `take_docs` needs, made once per side."""
    out = {t: np.searchsorted(getattr(c, f"{t}_doc"), np.arange(c.n_docs + 1))
           for t in ("ev", "num", "time", "rel")}
    for t in ("arg", "imp"):
        out[t] = np.searchsorted(getattr(c, f"{t}_event"), np.arange(len(c.ev_doc) + 1))
    return out


def take_docs(c: Columns, docs: np.ndarray, offs: dict[str, np.ndarray] | None = None
              ) -> Columns:
    """The rows of documents `docs` (ascending indices), renumbered 0 .. len(docs) - 1: the
    part of a side that one chunk of a submission is scored against. `offs`: the side's
    `table_offsets`, when kept."""
    offs = offs if offs is not None else table_offsets(c)
    k = len(docs)
    local = np.arange(k, dtype=I64)
    picked: dict[str, np.ndarray] = {}
    for table in ("ev", "num", "time", "rel"):
        off = offs[table]
        picked[table] = segments(off, docs)
        picked[f"{table}_doc"] = np.repeat(local, off[docs + 1] - off[docs])
    n_ev = np.arange(len(picked["ev"]), dtype=I64)
    for table in ("arg", "imp"):
        off = offs[table]
        ev = picked["ev"]
        picked[table] = segments(off, ev)
        picked[f"{table}_event"] = np.repeat(n_ev, off[ev + 1] - off[ev])
    out = {}
    for f in fields(Columns):
        if f.name in ("n_docs", "ids", "sources"):
            continue
        table = f.name.split("_")[0]
        out[f.name] = picked.get(f.name)
        if out[f.name] is None:
            out[f.name] = getattr(c, f.name)[picked[table]]
    return Columns(k, **out, ids=c.ids, sources=c.sources)


class _Codes(dict):
    """String -> code, growing."""

    def code(self, s: str | None) -> int:
        if s is None:
            return NONE
        c = self.get(s)
        if c is None:
            c = self[s] = len(self)
        return c


def _index(vocab: list[str]) -> dict[str, int]:
    return {s: i for i, s in enumerate(vocab)}


_TYPE, _ROLE, _FACT = _index(EVENT_TYPES), _index(ROLES), _index(FACTUALITY)
_QUAL, _KIND, _CLASS = _index(QUALIFIERS), _index(KINDS), _index(CLASSES)
_SCOPE, _REL = _index(SCOPES), _index(RELATIONS)


def _opt(table: dict[str, int], s: str | None) -> int:
    return NONE if s is None else table[s]


def from_pdocs(docs: Sequence[PDoc | None]) -> Columns:
    """Columns of plain records, one per gold document in gold order (None: no prediction).

    Every value must be in its vocabulary (a KeyError otherwise): give it checked records."""
    ids, sources = _Codes(), _Codes()
    sources.code("")
    ev: list[tuple] = []
    args: list[tuple] = []
    imps: list[tuple] = []
    nums: list[tuple] = []
    times: list[tuple] = []
    rels: list[tuple] = []
    for d, doc in enumerate(docs):
        if doc is None:
            continue
        for e in doc.events:
            row = len(ev)
            src = e.source
            ev.append((d, ids.code(e.id), _TYPE[e.type], e.trigger[0], e.trigger[1],
                       _FACT[e.factuality], src[0] if src else -1, src[1] if src else -1,
                       sources.code(normalise_source(src[2] if src else None)),
                       ids.code(e.time), ids.code(e.coref)))
            args += [(row, _ROLE[r], s[0], s[1]) for r, s in e.args]
            imps += [(row, _ROLE[r], _CLASS[c], v, _SCOPE[sc]) for r, c, v, sc in e.implicit]
        for n in doc.numbers:
            nums.append((d, ids.code(n.id), n.span[0], n.span[1], n.value,
                         np.nan if n.lower is None else n.lower, n.lower is not None,
                         n.lower_inclusive,
                         np.nan if n.upper is None else n.upper, n.upper is not None,
                         n.upper_inclusive, _QUAL[n.qualifier], _KIND[n.kind], ids.code(n.event),
                         _opt(_ROLE, n.counted_role), _opt(_CLASS, n.counted_class),
                         _opt(_SCOPE, n.scope)))
        times += [(d, ids.code(t), sp[0], sp[1]) for t, sp in doc.time_ids]
        rels += [(d, _REL[t], ids.code(s), ids.code(g)) for t, s, g in doc.relations]

    def cols(rows: list[tuple], dtypes: str) -> list[np.ndarray]:
        out = []
        for k, dt in enumerate(dtypes):
            dtype = {"i": I64, "f": np.float64, "b": np.bool_}[dt]
            out.append(np.array([r[k] for r in rows], dtype=dtype))
        return out

    return Columns(
        len(docs),
        *cols(ev, "iiiiiiiiiii"),
        *cols(args, "iiii"),
        *cols(imps, "iiiii"),
        *cols(nums, "iiiiffbbfbbiiiiii"),
        *cols(times, "iiii"),
        *cols(rels, "iiii"),
        list(ids), list(sources),
    )
