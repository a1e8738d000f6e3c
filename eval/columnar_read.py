"""Reading a submission straight into `Columns` (pyarrow.json + numpy), checked against a gold
index, or declining.

`read_predictions` gives the columns of a submission only when it is sure that the reference
path (`loading.iter_plain_predictions` + `SubmissionChecker`) would accept every line as read by
`plain.from_json_fast`, and so would build the same records. It mirrors every rule of those two:
the JSON shapes and types, ids and enums, spans against the gold text, and `_semantics_ok`. It
returns None on any doubt, including files that are valid but not in the plain canonical shape
(an explicit null where a field has a default cannot be told from a missing field once pyarrow
has read it; blank lines; a negative zero); the caller then runs the reference path, which
accepts them or names every problem with file, line, id and field.

Everything is done per column, never per item: list columns are flattened, strings become codes
through small dictionaries (id patterns are checked on the dictionary), and span texts are
compared with the gold text as UTF-8 bytes, 8 at a time (`gold_index` maps code points to bytes).
"""

from __future__ import annotations

import mmap
import os
import types
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, fields
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Union, get_args, get_origin

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj
from pydantic import BaseModel

from tally.eval import columns as C
from tally.eval.columns import I64, Columns, offsets, segments
from tally.eval.facts import normalise_source
from tally.eval.gold_index import GoldIndexColumns
from tally.eval.plain import _ID
from tally.schema.models import Precision, Prediction, TimeMod, TimeType
from tally.schema.ontology import load_ontology
from tally.schema.validate import SUPPORTED_VERSIONS

_DENSE_KEYS = 1 << 25  # (line, mention id) key spaces up to this size use a dense table


def _arrow_type(ann: object) -> pa.DataType:
    """The Arrow type pyarrow.json should read a pydantic field as (optional: nullable)."""
    origin = get_origin(ann)
    if origin is Annotated:
        return _arrow_type(get_args(ann)[0])
    if origin in (Union, types.UnionType):
        (inner,) = [a for a in get_args(ann) if a is not type(None)]
        return _arrow_type(inner)
    if origin is list:
        return pa.list_(_arrow_type(get_args(ann)[0]))
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return pa.struct([(n, _arrow_type(f.annotation)) for n, f in ann.model_fields.items()])
    for py, arrow in ((bool, pa.bool_()), (int, pa.int64()), (float, pa.float64()),
                      (str, pa.string())):  # bool before int: bool is an int
        if isinstance(ann, type) and issubclass(ann, py):
            return arrow
    raise TypeError(f"no Arrow type for {ann!r}")


SCHEMA = pa.schema(list(_arrow_type(Prediction)))
_PARSE = pj.ParseOptions(explicit_schema=SCHEMA, unexpected_field_behavior="error")
_READ = pj.ReadOptions(block_size=1 << 24)


@dataclass(slots=True)
class ColumnarPredictions:
    """A submission as columns in gold order, and the order the reference path scores in."""

    columns: Columns
    order: np.ndarray  # int64 gold indices: the lines in file order, then the missing documents
    n_pred: int
    missing: list[str]  # gold ids without a prediction, in gold order


class _Decline(Exception):
    """Not sure: let the reference path decide and explain."""


def _need(cond: bool | np.bool_) -> None:
    if not cond:
        raise _Decline


def read_predictions(path: str | Path, gi: GoldIndexColumns) -> ColumnarPredictions | None:
    """The submission's columns, or None when the reference path might report a problem or
    the file is not in the plain canonical shape."""
    try:
        return _read(Path(path), gi)
    except (_Decline, pa.ArrowException, OSError):
        return None


# -- the file -----------------------------------------------------------------------------------

def _lines(mm: mmap.mmap | bytes | memoryview) -> int:
    """Number of lines; declines unless every line starts with '{'. Together with one row per
    line this rules out blank lines and lines holding several objects (pyarrow reads those,
    orjson does not), a byte order mark, and a '\\r' alone ending a line."""
    b = np.frombuffer(mm, np.uint8)
    if not len(b):
        return 0
    nl = np.flatnonzero(b == 0x0A)
    starts = nl[nl + 1 < len(b)] + 1  # a final newline starts no line
    _need(b[0] == 0x7B and bool((b[starts] == 0x7B).all()))
    return len(starts) + 1


def _parse(path: Path) -> pa.Table | None:
    with path.open("rb") as fh:
        if fh.seek(0, 2) == 0:
            return None
        mm = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    return _parse_buffer(mm)


def _parse_buffer(mm: mmap.mmap | bytes | memoryview) -> pa.Table:
    buf = pa.py_buffer(mm)
    n = _lines(mm)
    # orjson rejects invalid UTF-8 anywhere in a line; pyarrow.json does not check it.
    whole = pa.Array.from_buffers(pa.large_string(), 1,
                                  [None, pa.py_buffer(np.array([0, buf.size], I64)), buf])
    whole.validate(full=True)
    table = pj.read_json(pa.BufferReader(buf), read_options=_READ, parse_options=_PARSE,
                         memory_pool=pa.system_memory_pool())
    _need(table.num_rows == n)
    return table


# -- columns ------------------------------------------------------------------------------------

def _field(a: pa.ChunkedArray, name: str) -> pa.ChunkedArray:
    return pc.struct_field(a, name)


def _items(lists: pa.ChunkedArray) -> tuple[pa.ChunkedArray, np.ndarray]:
    """Items of a list column and the number per row; no null list, no null item."""
    _need(lists.null_count == 0)
    items = pc.list_flatten(lists)
    _need(items.null_count == 0)
    return items, pc.list_value_length(lists).to_numpy(zero_copy_only=False).astype(I64)


def _ints(a: pa.ChunkedArray) -> np.ndarray:
    _need(a.null_count == 0)
    return a.to_numpy(zero_copy_only=False).astype(I64, copy=False)


def _floats(a: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """Values (NaN where null) and the validity; declines on NaN, infinities (pyarrow reads
    them, orjson does not) and -0.0 (orjson reads `-0` as the int 0)."""
    v = a.to_numpy(zero_copy_only=False).astype(np.float64, copy=False)
    valid = (np.ones(len(v), np.bool_) if a.null_count == 0
             else pc.is_valid(a).to_numpy(zero_copy_only=False))
    vv = v[valid]
    _need(np.isfinite(vv).all() and not np.signbit(vv[vv == 0]).any())
    return np.where(valid, v, np.nan), valid


def _bools(a: pa.ChunkedArray) -> np.ndarray:
    _need(a.null_count == 0)
    return a.to_numpy(zero_copy_only=False).astype(np.bool_, copy=False)


def _dict(a: pa.ChunkedArray) -> tuple[np.ndarray, list[str]]:
    """Dictionary indices (-1 where null) and the dictionary's strings."""
    arr = a.combine_chunks() if isinstance(a, pa.ChunkedArray) else a
    enc = pc.dictionary_encode(arr)
    idx = enc.indices.to_numpy(zero_copy_only=False)
    if enc.null_count:
        idx = np.where(pc.is_valid(enc).to_numpy(zero_copy_only=False), idx, -1)
    return idx.astype(I64, copy=False), enc.dictionary.to_pylist()


_VALUE_SETS: dict[tuple[str, ...], pa.Array] = {}


def _codes(a: pa.Array | pa.ChunkedArray, vocab: list[str], nullable: bool = False
           ) -> np.ndarray:
    """Codes into `vocab` (C.NONE where null); declines on other strings, and on nulls unless
    `nullable` (a null where the model has a default is not the plain shape)."""
    if not nullable:
        _need(a.null_count == 0)
    key = tuple(vocab)
    value_set = _VALUE_SETS.get(key)
    if value_set is None:
        value_set = _VALUE_SETS[key] = pa.array(vocab, pa.string())
    got = pc.index_in(a, value_set=value_set)
    _need(got.null_count == a.null_count)  # a string outside the vocabulary
    if got.null_count:
        got = pc.fill_null(got, C.NONE)
    return got.to_numpy(zero_copy_only=False).astype(I64)


def _enum_ok(a: pa.ChunkedArray, allowed: frozenset, nullable: bool) -> None:
    """A field validated and dropped (time type, precision, mod)."""
    _codes(a, sorted(allowed), nullable)


def _str_parts(a: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """UTF-8 start and byte length of each string, and the data buffer padded with 8 zeros."""
    arr = a.combine_chunks() if isinstance(a, pa.ChunkedArray) else a
    width = np.int64 if arr.type == pa.large_string() else np.int32
    off = np.frombuffer(arr.buffers()[1], width)[arr.offset:arr.offset + len(arr) + 1]
    off = off.astype(I64)
    data = arr.buffers()[2]
    data = np.frombuffer(data, np.uint8) if data is not None else np.zeros(0, np.uint8)
    return off[:-1], np.diff(off), np.concatenate([data, np.zeros(8, np.uint8)])


def _words(b: np.ndarray) -> np.ndarray:
    """uint64 loaded at every byte offset of a buffer padded with 8 bytes (unaligned view)."""
    return np.ndarray(shape=(len(b) - 7,), dtype="<u8", buffer=b, strides=(1,))


_MASKS = np.array([(1 << (8 * k)) - 1 for k in range(8)] + [(1 << 64) - 1], np.uint64)


def _same_bytes(a: np.ndarray, ap: np.ndarray, b: np.ndarray, bp: np.ndarray,
                n: np.ndarray) -> bool:
    """a[ap[i]:ap[i]+n[i]] == b[bp[i]:bp[i]+n[i]] for every i (a, b padded with 8 bytes)."""
    aw, bw = _words(a), _words(b)
    while len(n):
        x = (aw[ap] ^ bw[bp]) & _MASKS[np.minimum(n, 8)]
        if x.any():
            return False
        more = n > 8
        ap, bp, n = ap[more] + 8, bp[more] + 8, n[more] - 8
    return True


def _spans(s: pa.ChunkedArray, doc: np.ndarray, gi: GoldIndexColumns, nullable: bool = False
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Start and end of spans (struct start/end/text; -1 where the span is null), checked as
    `plain._fspan` and `SubmissionChecker._spans` check them. `doc`: gold index per span."""
    valid = None
    if s.null_count:
        _need(nullable)
        valid = pc.is_valid(s).to_numpy(zero_copy_only=False)
        s = s.filter(valid)
        doc = doc[valid]
    start, end, text = _field(s, "start"), _field(s, "end"), _field(s, "text")
    st, en = _ints(start), _ints(end)
    _need(text.null_count == 0)
    _need((st >= 0).all() and (st < en).all())
    _need((pc.utf8_length(text).to_numpy(zero_copy_only=False).astype(I64) == en - st).all())
    known = gi.has_text[doc]
    if known.any():
        sel = np.flatnonzero(known) if not known.all() else slice(None)
        d, s0, e0 = doc[sel], st[sel], en[sel]
        _need((e0 <= gi.cp_start[d + 1] - gi.cp_start[d]).all())
        pos, length, data = _str_parts(text)
        gpos = gi.cp_to_byte(gi.cp_start[d] + s0)
        _need(_same_bytes(data, pos[sel], gi.text_bytes, gpos, length[sel]))
    if valid is None:
        return st, en, valid
    full_s, full_e = np.full(len(valid), -1, I64), np.full(len(valid), -1, I64)
    full_s[valid], full_e[valid] = st, en
    return full_s, full_e, valid


# -- the checks of SubmissionChecker -------------------------------------------------------------

def _check_text(text: pa.ChunkedArray, gdoc: np.ndarray, gi: GoldIndexColumns) -> None:
    """A given text equals the gold text, or has its hash when the gold is not hydrated."""
    if text.null_count == len(text):
        return
    given = pc.is_valid(text).to_numpy(zero_copy_only=False)
    g = gdoc[given]
    pos, length, data = _str_parts(text.filter(given))
    known = gi.has_text[g]
    glen = gi.byte_start[g + 1] - gi.byte_start[g]
    _need((length[known] == glen[known]).all())
    _need(_same_bytes(data, pos[known], gi.text_bytes, gi.byte_start[g[known]], length[known]))
    if not known.all():
        import hashlib  # rare: only for a submission with texts against an unhydrated gold

        raw = data.tobytes()
        for i in np.flatnonzero(~known).tolist():
            p = int(pos[i])
            digest = hashlib.sha256(raw[p:p + int(length[i])]).hexdigest()
            _need(digest == gi.text_sha256[int(g[i])])


def _ok_bounds(v: np.ndarray, q: np.ndarray, lo: np.ndarray, hl: np.ndarray, li: np.ndarray,
               hi: np.ndarray, hh: np.ndarray, ui: np.ndarray) -> np.ndarray:
    """`loading.expected_bounds(...) is None` per number (bounds absent: NaN, has_ False)."""
    Q = C.QUALIFIERS.index
    with np.errstate(invalid="ignore"):
        lo_v, hi_v = hl & (lo == v), hh & (hi == v)
        rules = {
            Q("exact"): lo_v & hi_v & li & ui,
            Q("approximate"): lo_v & hi_v & li & ui,
            Q("at_least"): lo_v & li & ~hh,
            Q("more_than"): lo_v & ~li & ~hh,
            Q("at_most"): hi_v & ui & ~hl,
            Q("less_than"): hi_v & ~ui & ~hl,
            Q("range"): hl & hh & (lo < hi) & (lo <= v) & (v <= hi),
            Q("vague"): hl & (lo <= v) & (~hh | (v < hi)),
        }
    ok = np.zeros(len(v), np.bool_)
    for code, rule in rules.items():
        ok |= (q == code) & rule
    return ok


def _role_tables() -> tuple[np.ndarray, np.ndarray]:
    """allowed[type, role] and countable[type, role] over EVENT_TYPES x ROLES."""
    onto = load_ontology()
    allowed = np.zeros((len(C.EVENT_TYPES), len(C.ROLES)), np.bool_)
    countable = np.zeros_like(allowed)
    for t, name in enumerate(C.EVENT_TYPES):
        et = onto.event_types[name]
        allowed[t, [C.ROLES.index(r) for r in et.roles]] = True
        countable[t, [C.ROLES.index(r) for r in et.countable]] = True
    return allowed, countable


_ALLOWED, _COUNTABLE = _role_tables()


class _Mentions:
    """Mention ids (events, then numbers, then times) keyed by (line, id code): unique per
    line, and looked up by the references to them."""

    def __init__(self, keys: np.ndarray, space: int):
        m = np.arange(len(keys), dtype=I64)
        self.space = space
        if space <= _DENSE_KEYS:
            self.table = np.full(space, -1, I64)
            self.table[keys] = m
            _need((self.table[keys] == m).all())  # a repeated key keeps only its last row
        else:
            self.order = np.argsort(keys, kind="stable")
            self.sorted = keys[self.order]
            _need(not (self.sorted[1:] == self.sorted[:-1]).any())

    def find(self, keys: np.ndarray) -> np.ndarray:
        """Position of each key among the mentions, -1 when absent."""
        if self.space <= _DENSE_KEYS:
            return self.table[keys]
        pos = np.minimum(np.searchsorted(self.sorted, keys), max(len(self.sorted) - 1, 0))
        if not len(self.sorted):
            return np.full(len(keys), -1, I64)
        return np.where(self.sorted[pos] == keys, self.order[pos], -1)


class _Strings:
    """Codes shared by every block: mention ids (pattern checked once per new string) and
    normalised sources (entry 0: no source)."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self.sources = C._Codes()
        self.sources.code("")
        self.source_of: dict[str, int] = {}

    def id_codes(self, values: list[str]) -> np.ndarray:
        out = []
        for v in values:
            c = self.ids.get(v)
            if c is None:
                _need(len(v) <= 64 and _ID.fullmatch(v) is not None)
                c = self.ids[v] = len(self.ids)
            out.append(c)
        return np.array(out + [C.NONE], I64)

    def source_codes(self, values: list[str]) -> np.ndarray:
        out = []
        for v in values:
            c = self.source_of.get(v)
            if c is None:
                c = self.source_of[v] = self.sources.code(normalise_source(v))
            out.append(c)
        return np.array(out + [0], I64)


def _block(b: pa.RecordBatch, gdoc: np.ndarray, gi: GoldIndexColumns) -> dict:
    """One parsed block checked; its columns in file order (arg_event and imp_event: rows of
    the block's event table), plus the item counts per line or event. Id and source columns
    hold block codes into `_ids` and `_sources` (made shared by `_share`, in file order, so
    that blocks can be checked in parallel and the codes still do not depend on timing)."""
    n_rows = b.num_rows
    line = np.arange(n_rows, dtype=I64)

    # events
    ev, ev_n = _items(b.column("events"))
    ev_row = np.repeat(line, ev_n)
    ev_g = gdoc[ev_row]
    ev_type = _codes(_field(ev, "type"), C.EVENT_TYPES)
    ev_fact = _codes(_field(ev, "factuality"), C.FACTUALITY)
    ev_start, ev_end, _ = _spans(_field(ev, "trigger"), ev_g, gi)
    source = _field(ev, "source")
    src_start, src_end, _ = _spans(source, ev_g, gi, nullable=True)
    src_idx, src_values = _dict(_field(source, "text"))
    args, arg_n = _items(_field(ev, "arguments"))
    arg_ev = np.repeat(np.arange(len(ev_type), dtype=I64), arg_n)
    arg_role = _codes(_field(args, "role"), C.ROLES)
    arg_start, arg_end, _ = _spans(args, ev_g[arg_ev], gi)
    imp, imp_n = _items(_field(ev, "implicit_counts"))
    imp_ev = np.repeat(np.arange(len(ev_type), dtype=I64), imp_n)
    imp_role = _codes(_field(imp, "role"), C.ROLES)
    imp_value = _ints(_field(imp, "value"))
    _need((imp_value >= 1).all())
    _need(_ALLOWED[ev_type[arg_ev], arg_role].all())
    _need(_COUNTABLE[ev_type[imp_ev], imp_role].all())

    # numbers
    num, num_n = _items(b.column("numbers"))
    num_row = np.repeat(line, num_n)
    num_start, num_end, _ = _spans(_field(num, "span"), gdoc[num_row], gi)
    value, _ = _floats(_field(num, "value"))
    _need(not np.isnan(value).any())
    lower, has_lower = _floats(_field(num, "lower"))
    upper, has_upper = _floats(_field(num, "upper"))
    lower_incl = _bools(_field(num, "lower_inclusive"))
    upper_incl = _bools(_field(num, "upper_inclusive"))
    qual = _codes(_field(num, "qualifier"), C.QUALIFIERS)
    kind = _codes(_field(num, "kind"), C.KINDS)
    num_role = _codes(_field(num, "counted_role"), C.ROLES, nullable=True)
    _need(_ok_bounds(value, qual, lower, has_lower, lower_incl, upper, has_upper,
                     upper_incl).all())

    # times (validated; only ids and spans are kept)
    tim, tim_n = _items(b.column("times"))
    tim_row = np.repeat(line, tim_n)
    time_start, time_end, _ = _spans(_field(tim, "span"), gdoc[tim_row], gi)
    _enum_ok(_field(tim, "type"), frozenset(TimeType), nullable=False)
    _need(_field(tim, "value").null_count == 0)
    _enum_ok(_field(tim, "precision"), frozenset(Precision), nullable=True)
    _enum_ok(_field(tim, "mod"), frozenset(TimeMod), nullable=True)

    # relations
    rel, rel_n = _items(b.column("relations"))
    rel_row = np.repeat(line, rel_n)

    # ids: block codes for the checks, shared codes for the columns
    required = [_field(ev, "id"), _field(ev, "coref"), _field(num, "id"), _field(tim, "id"),
                _field(rel, "source"), _field(rel, "target")]
    _need(all(a.null_count == 0 for a in required))
    parts = [*required, _field(ev, "time"), _field(num, "event")]
    idx, values = _dict(pa.chunked_array(parts, pa.string()))
    cut = np.cumsum([len(p) for p in parts])[:-1]
    ev_id, ev_coref, num_id, time_id, rel_src, rel_tgt, ev_time, num_event = np.split(idx, cut)

    # _semantics_ok: mention ids unique per line; references resolve within the line
    k = len(values)
    n_ev, n_num = len(ev_id), len(num_id)
    mentions = _Mentions(np.concatenate([ev_row * k + ev_id, num_row * k + num_id,
                                         tim_row * k + time_id]), n_rows * k)
    timed = ev_time >= 0
    t = mentions.find(ev_row[timed] * k + ev_time[timed])
    _need((t >= n_ev + n_num).all())
    linked = num_event >= 0
    counts = kind == C.KIND_EVENT_COUNT
    _need(not (~counts & (linked | (num_role >= 0))).any())
    _need((linked[counts] & (num_role[counts] >= 0)).all())
    e = mentions.find(num_row[counts] * k + num_event[counts])
    _need(((e >= 0) & (e < n_ev)).all())
    _need(_COUNTABLE[ev_type[e], num_role[counts]].all())
    for end in (rel_src, rel_tgt):
        r = mentions.find(rel_row * k + end)
        _need(((r >= n_ev) & (r < n_ev + n_num)).all())

    return dict(
        ev_doc=ev_g, ev_id=ev_id, ev_type=ev_type, ev_start=ev_start, ev_end=ev_end,
        ev_fact=ev_fact, ev_src_start=src_start, ev_src_end=src_end, ev_src=src_idx,
        ev_time=ev_time, ev_coref=ev_coref,
        arg_event=arg_ev, arg_role=arg_role, arg_start=arg_start, arg_end=arg_end,
        imp_event=imp_ev, imp_role=imp_role,
        imp_class=_codes(_field(imp, "counted_class"), C.CLASSES), imp_value=imp_value,
        imp_scope=_codes(_field(imp, "scope"), C.SCOPES),
        num_doc=gdoc[num_row], num_id=num_id, num_start=num_start, num_end=num_end,
        num_value=value, num_lower=lower, num_has_lower=has_lower, num_lower_incl=lower_incl,
        num_upper=upper, num_has_upper=has_upper, num_upper_incl=upper_incl, num_qual=qual,
        num_kind=kind, num_event=num_event, num_role=num_role,
        num_class=_codes(_field(num, "counted_class"), C.CLASSES, nullable=True),
        num_scope=_codes(_field(num, "scope"), C.SCOPES, nullable=True),
        time_doc=gdoc[tim_row], time_id=time_id, time_start=time_start,
        time_end=time_end,
        rel_doc=gdoc[rel_row], rel_type=_codes(_field(rel, "type"), C.RELATIONS),
        rel_source=rel_src, rel_target=rel_tgt, _ids=values, _sources=src_values,
        _ev_n=ev_n, _num_n=num_n, _tim_n=tim_n, _rel_n=rel_n, _arg_n=arg_n, _imp_n=imp_n,
    )


_ID_FIELDS = ("ev_id", "ev_time", "ev_coref", "num_id", "num_event", "time_id", "rel_source",
              "rel_target")


def _share(x: dict, names: _Strings) -> None:
    """Block codes of ids and sources -> codes shared by all blocks."""
    ids = names.id_codes(x.pop("_ids"))
    for f in _ID_FIELDS:
        x[f] = ids[x[f]]
    x["ev_src"] = names.source_codes(x.pop("_sources"))[x["ev_src"]]


def _empty(gi: GoldIndexColumns) -> ColumnarPredictions:
    n = gi.columns.n_docs
    return ColumnarPredictions(C.from_pdocs([None] * n), np.arange(n, dtype=I64), 0, list(gi.ids))


_FIELDS = [f.name for f in fields(Columns)][1:-2]  # the arrays, between n_docs and the strings
_TABLES = {"ev": "_ev_n", "arg": "_arg_n", "imp": "_imp_n", "num": "_num_n", "time": "_tim_n",
           "rel": "_rel_n"}


def _read(path: Path, gi: GoldIndexColumns) -> ColumnarPredictions:
    table = _parse(path)
    if table is None:  # an empty file: the reference path reads no line
        return _empty(gi)
    cols, gdoc = _table_columns(table, gi)
    present = np.zeros(gi.columns.n_docs, np.bool_)
    present[gdoc] = True
    missing = np.flatnonzero(~present)
    order = np.concatenate([gdoc, missing]).astype(I64)
    return ColumnarPredictions(cols, order, table.num_rows,
                               [gi.ids[i] for i in missing.tolist()])


def read_piece(data: bytes | memoryview, gi: GoldIndexColumns) -> tuple[Columns, np.ndarray]:
    """Whole lines of a submission, checked: their columns (doc columns hold gold indices,
    rows in gold order) and the gold index of each line in file order. Raises `Declined` where
    `read_predictions` would return None; a document repeated across pieces is the caller's
    to refuse."""
    try:
        return _table_columns(_parse_buffer(data), gi)
    except pa.ArrowException:
        raise _Decline from None


Declined = _Decline
PIECE_BYTES = 32 << 20  # ~3.5k documents; 64 MB was 5% faster but its steady-state memory
# was reached only after a few pieces (benchmarks/README.md)


def iter_pieces(path: str | Path, size: int = PIECE_BYTES) -> Iterator[memoryview]:
    """The file in pieces of whole lines of about `size` bytes (a longer line: one piece), so
    memory stays bounded however long the submission. Each piece is read once, not copied: the
    file is read again from the start of the line a piece cut."""
    with Path(path).open("rb") as fh:
        pos = 0
        while block := fh.read(size):
            cut = block.rfind(b"\n") + 1
            while not cut:  # a line longer than the piece: read on (doubling) to its end
                more = fh.read(len(block))
                if not more:
                    cut = len(block)  # the last line, without a newline
                    break
                cut = more.find(b"\n") + 1
                cut = cut and len(block) + cut
                block += more
            yield memoryview(block)[:cut]
            pos += cut
            fh.seek(pos)


def _table_columns(table: pa.Table, gi: GoldIndexColumns) -> tuple[Columns, np.ndarray]:
    """The checked columns of parsed lines (gold order) and each line's gold index."""
    n_rows, n_docs = table.num_rows, gi.columns.n_docs

    # documents
    _codes(table["format_version"], sorted(SUPPORTED_VERSIONS))
    doc_ids = table["id"]
    _need(doc_ids.null_count == 0)
    gdoc = pc.index_in(doc_ids, value_set=pa.array(gi.ids, pa.string()))
    _need(gdoc.null_count == 0)  # unknown ids (every gold id is a valid id)
    gdoc = gdoc.to_numpy(zero_copy_only=False).astype(I64)
    _need(np.bincount(gdoc, minlength=n_docs).max(initial=0) <= 1)
    _check_text(table["text"], gdoc, gi)

    # every block on its own: small arrays stay in cache and reuse memory
    batches = table.to_batches()
    starts = np.cumsum([0] + [b.num_rows for b in batches])
    # numpy and pyarrow.compute release the GIL: blocks are checked on every core
    with ThreadPoolExecutor(max(1, min(len(batches), os.cpu_count() or 1))) as pool:
        blocks = list(pool.map(_block, batches, [gdoc[a:z] for a, z in pairwise(starts)],
                               [gi] * len(batches)))
    names = _Strings()
    for x in blocks:
        _share(x, names)
    n_ev = [len(x["_arg_n"]) for x in blocks]
    shift = np.cumsum([0, *n_ev[:-1]])
    cat = {name: np.concatenate([x[name] for x in blocks]) for name in blocks[0]
           if name not in ("arg_event", "imp_event")}
    for name in ("arg_event", "imp_event"):
        cat[name] = np.concatenate([x[name] + s for x, s in zip(blocks, shift, strict=True)])

    # gold order: lines sorted by gold index, each table's rows by segments
    rows = np.argsort(gdoc, kind="stable")
    if not (rows == np.arange(n_rows)).all():
        counts = {t: cat[c] for t, c in _TABLES.items()}
        ix = {t: segments(offsets(counts[t]), rows) for t in ("ev", "num", "time", "rel")}
        ix["arg"] = segments(offsets(counts["arg"]), ix["ev"])
        ix["imp"] = segments(offsets(counts["imp"]), ix["ev"])
        new_ev = np.arange(len(ix["ev"]), dtype=I64)
        cat = {name: a[ix[name.split("_")[0]]] for name, a in cat.items()
               if not name.startswith("_")}
        cat["arg_event"] = np.repeat(new_ev, counts["arg"][ix["ev"]])
        cat["imp_event"] = np.repeat(new_ev, counts["imp"][ix["ev"]])
    cols = Columns(n_docs, **{f: cat[f] for f in _FIELDS},
                   ids=list(names.ids), sources=list(names.sources))
    return cols, gdoc
