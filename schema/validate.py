"""The Tally validator: every rule that can be checked mechanically on canonical documents.

Rules are listed in schema/FORMAT.md ("Validation rules"); each has a test with a failing example.
"""

from __future__ import annotations

import hashlib
import re
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path

from tally.schema.diagnostics import Problem
from tally.schema.jsonl import iter_json_lines, parse_model
from tally.schema.models import FORMAT_VERSION, Document, NumberMention, Span
from tally.schema.numerals import find_numerals
from tally.schema.ontology import Ontology, load_ontology

SUPPORTED_VERSIONS = {FORMAT_VERSION}

_ISO_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$|^\d{4}-W\d{2}$")
_ISO_DURATION = re.compile(r"^P(?=\d|T)(\d+(\.\d+)?Y)?(\d+(\.\d+)?M)?(\d+(\.\d+)?W)?(\d+(\.\d+)?D)?"
                           r"(T(\d+(\.\d+)?H)?(\d+(\.\d+)?M)?(\d+(\.\d+)?S)?)?$")
_PRECISION_OF = {10: "day", 8: "week", 7: "month", 4: "year"}


def is_calendar_date(value: str) -> bool:
    """YYYY, YYYY-MM, YYYY-MM-DD or YYYY-Www that exists in the calendar."""
    import datetime as dt

    if not _ISO_DATE.match(value):
        return False
    try:
        if "-W" in value:
            dt.date.fromisocalendar(int(value[:4]), int(value[6:]), 1)
        elif len(value) == 7:
            dt.date(int(value[:4]), int(value[5:]), 1)
        elif len(value) == 10:
            dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class _Ctx:
    file: str
    line: int | None
    doc_id: str
    problems: list[Problem] = field(default_factory=list)

    def err(self, fld: str, msg: str, expected: str | None = None) -> None:
        self.problems.append(Problem(self.file, self.line, self.doc_id, fld, msg, expected))

    def warn(self, fld: str, msg: str, expected: str | None = None) -> None:
        self.problems.append(
            Problem(self.file, self.line, self.doc_id, fld, msg, expected, severity="warning")
        )


def expected_bounds(n: NumberMention) -> str | None:
    """None when the bounds agree with the qualifier, else a description of what is expected."""
    q, v = n.qualifier, n.value
    lo, hi, li, ui = n.lower, n.upper, n.lower_inclusive, n.upper_inclusive
    if q in ("exact", "approximate"):
        ok = lo == v and hi == v and li and ui
        return None if ok else f"lower = upper = value ({v}), both inclusive, for {q}"
    if q == "at_least":
        return None if (lo == v and li and hi is None) else f"lower = {v} inclusive, no upper"
    if q == "more_than":
        ok = lo == v and not li and hi is None
        return None if ok else f"lower = {v} exclusive, no upper"
    if q == "at_most":
        return None if (hi == v and ui and lo is None) else f"upper = {v} inclusive, no lower"
    if q == "less_than":
        ok = hi == v and not ui and lo is None
        return None if ok else f"upper = {v} exclusive, no lower"
    if q == "range":
        ok = lo is not None and hi is not None and lo < hi and lo <= v <= hi
        return None if ok else "lower < upper with lower <= value <= upper"
    if q == "vague":
        ok = lo is not None and lo <= v and (hi is None or v < hi)
        return None if ok else "lower <= value < upper (the vague-magnitude table)"
    return None


class DocumentChecker:
    """Checks one parsed `Document` against the text, the ontology and the format's rules."""

    def __init__(self, ontology: Ontology | None = None):
        self.onto = ontology or load_ontology()

    def check(self, doc: Document, file: str, line: int | None) -> list[Problem]:
        c = _Ctx(file, line, doc.id)
        if doc.format_version not in SUPPORTED_VERSIONS:
            c.err("format_version", f"unsupported version {doc.format_version!r}",
                  f"one of {sorted(SUPPORTED_VERSIONS)}")
        if doc.text is None:
            c.warn("text", "document is not hydrated: span texts are checked only for length",
                   "run `tally hydrate --from DIR` with a copy of the source article")
        elif sha256_text(doc.text) != doc.text_sha256:
            c.err("text_sha256", "hash does not match the text", sha256_text(doc.text))
        if not is_calendar_date(doc.dateline.date):
            c.err("dateline.date", f"{doc.dateline.date!r} is not a calendar date", "YYYY-MM-DD")
        self._spans(doc, c)
        self._ids(doc, c)
        self._events(doc, c)
        self._numbers(doc, c)
        self._times(doc, c)
        self._relations(doc, c)
        self._overlaps(doc, c)
        if doc.text is not None:
            self._coverage(doc, c)
        return c.problems

    # -- spans -----------------------------------------------------------------------------
    def _span(self, span: Span, text: str | None, fld: str, c: _Ctx) -> None:
        if text is None:
            return
        if span.end > len(text):
            c.err(fld, f"offsets {span.start}:{span.end} outside the text",
                  f"end <= {len(text)}")
        elif text[span.start:span.end] != span.text:
            c.err(fld, f"text[{span.start}:{span.end}] is {text[span.start:span.end]!r}, "
                  f"span says {span.text!r}", "span text equal to the document text at its offsets")

    def _spans(self, doc: Document, c: _Ctx) -> None:
        t = doc.text
        self._span(doc.headline, t, "headline", c)
        for i, ev in enumerate(doc.events):
            self._span(ev.trigger, t, f"events[{i}].trigger", c)
            for j, arg in enumerate(ev.arguments):
                self._span(arg, t, f"events[{i}].arguments[{j}]", c)
            if ev.source is not None:
                self._span(ev.source, t, f"events[{i}].source", c)
        for i, n in enumerate(doc.numbers):
            self._span(n.span, t, f"numbers[{i}].span", c)
        for i, tx in enumerate(doc.times):
            self._span(tx.span, t, f"times[{i}].span", c)

    def _ids(self, doc: Document, c: _Ctx) -> None:
        ids = Counter(
            [e.id for e in doc.events] + [n.id for n in doc.numbers] + [t.id for t in doc.times]
        )
        for dup, k in ids.items():
            if k > 1:
                c.err("id", f"id {dup!r} used {k} times in the document",
                      "ids unique across events, numbers and times")

    # -- events ----------------------------------------------------------------------------
    def _events(self, doc: Document, c: _Ctx) -> None:
        times = {t.id for t in doc.times}
        cluster_types: dict[str, set[str]] = {}
        for i, ev in enumerate(doc.events):
            f = f"events[{i}]"
            et = self.onto.event_types.get(ev.type)
            if et is None:
                c.err(f"{f}.type", f"unknown event type {ev.type!r}",
                      "a type of schema/ontology.yaml")
            else:
                for j, arg in enumerate(ev.arguments):
                    if arg.role not in et.roles:
                        c.err(f"{f}.arguments[{j}].role",
                              f"role {arg.role!r} not allowed for {ev.type}",
                              f"one of {list(et.roles)}")
                for j, ic in enumerate(ev.implicit_counts):
                    if ic.role not in et.countable:
                        c.err(f"{f}.implicit_counts[{j}].role",
                              f"role {ic.role!r} is not countable for {ev.type}",
                              f"one of {list(et.countable)}")
            arg_keys = [(a.role, a.start, a.end) for a in ev.arguments]
            if len(set(arg_keys)) < len(arg_keys):  # count only when something repeats
                for (role, s, e), k in Counter(arg_keys).items():
                    if k > 1:
                        c.err(f"{f}.arguments", f"argument {role} {s}:{e} repeated {k} times")
            if ev.time is not None and ev.time not in times:
                c.err(f"{f}.time", f"time {ev.time!r} does not exist",
                      "the id of a time expression")
            if ev.factuality == "asserted" and ev.source is not None:
                c.err(f"{f}.factuality", "asserted event with a source",
                      "factuality reported/hypothetical/negated/planned, or no source")
            if ev.factuality == "reported" and ev.source is None:
                c.err(f"{f}.source", "reported event without a source",
                      "the span of who claims it (or the cue, e.g. 'reportedly')")
            cluster_types.setdefault(ev.coref, set()).add(ev.type)
        by_id = {ev.id: ev for ev in doc.events}
        for i, ev in enumerate(doc.events):
            head = by_id.get(ev.coref)
            if head is not None and head.coref != head.id:
                c.err(f"events[{i}].coref", f"coref {ev.coref!r} names a mention that is itself "
                      f"in cluster {head.coref!r}", f"coref={head.coref} (the cluster's id)")
        for cluster, types in cluster_types.items():
            if len(types) > 1:
                c.err("events.coref", f"cluster {cluster!r} mixes types {sorted(types)}",
                      "one event type per coreference cluster")

    # -- numbers ---------------------------------------------------------------------------
    def _numbers(self, doc: Document, c: _Ctx) -> None:
        events = {e.id: e for e in doc.events}
        for i, n in enumerate(doc.numbers):
            f = f"numbers[{i}]"
            exp = expected_bounds(n)
            if exp:
                c.err(f"{f}.lower/upper", f"bounds [{n.lower}, {n.upper}] "
                      f"(inclusive {n.lower_inclusive}/{n.upper_inclusive}) disagree with "
                      f"qualifier {n.qualifier} and value {n.value}", exp)
            link = (n.event, n.counted_role, n.counted_class, n.scope)
            if n.kind == "event_count":
                missing = [k for k, v in zip(("event", "counted_role", "counted_class", "scope"),
                                             link, strict=True) if v is None]
                if missing:
                    c.err(f"{f}.{missing[0]}", f"event count without {', '.join(missing)}",
                          "event, counted_role, counted_class and scope for kind event_count")
                    continue
                ev = events.get(n.event)
                if ev is None:
                    c.err(f"{f}.event", f"event {n.event!r} does not exist", "an event mention id")
                    continue
                et = self.onto.event_types.get(ev.type)
                if et is not None and n.counted_role not in et.countable:
                    c.err(f"{f}.counted_role",
                          f"role {n.counted_role!r} is not countable for {ev.type}",
                          f"one of {list(et.countable)}")
            elif any(v is not None for v in link):
                c.err(f"{f}.event", f"kind {n.kind} with an event link",
                      "event/counted_role/counted_class/scope only for kind event_count")

    def _times(self, doc: Document, c: _Ctx) -> None:
        for i, t in enumerate(doc.times):
            f = f"times[{i}]"
            if t.type == "date":
                if not is_calendar_date(t.value):
                    c.err(f"{f}.value", f"{t.value!r} is not an ISO 8601 calendar date",
                          "YYYY, YYYY-MM, YYYY-MM-DD or YYYY-Www that exists")
                elif t.precision != _PRECISION_OF.get(len(t.value)):
                    c.err(f"{f}.precision", f"precision {t.precision!r} for value {t.value!r}",
                          _PRECISION_OF.get(len(t.value)))
            else:
                if not _ISO_DURATION.match(t.value):
                    c.err(f"{f}.value", f"{t.value!r} is not an ISO 8601 duration", "e.g. P20D")
                if t.precision is not None:
                    c.err(f"{f}.precision", "durations carry no precision", "null")

    def _relations(self, doc: Document, c: _Ctx) -> None:
        nums = {n.id: n for n in doc.numbers}
        seen = set()
        parts: dict[str, list[NumberMention]] = {}
        for i, r in enumerate(doc.relations):
            f = f"relations[{i}]"
            for end in ("source", "target"):
                if getattr(r, end) not in nums:
                    c.err(f"{f}.{end}", f"number {getattr(r, end)!r} does not exist",
                          "the id of a number mention")
            if r.source == r.target:
                c.err(f, "a number related to itself", "two different numbers")
            key = (r.type, r.source, r.target)
            if r.type != "part_of":  # restates and conflicts_with are symmetric
                key = (r.type, *sorted((r.source, r.target)))
            if key in seen:
                c.err(f, f"relation {r.type} {r.source}->{r.target} repeated",
                      "each pair once (restates and conflicts_with are symmetric)")
            seen.add(key)
            a, b = nums.get(r.source), nums.get(r.target)
            if r.type != "part_of" and a and b and a.kind != b.kind:
                c.err(f, f"{r.type} between a {a.kind} and a {b.kind} number",
                      "two numbers of the same kind")
            if r.type == "part_of" and r.source in nums and r.target in nums:
                parts.setdefault(r.target, []).append(nums[r.source])
        for whole_id, ps in parts.items():
            whole = nums[whole_id]
            exact = [p for p in ps if p.qualifier == "exact"]
            if whole.qualifier == "exact" and len(exact) == len(ps):
                total = sum(p.value for p in exact)
                if total > whole.value:
                    c.err("relations", f"parts of {whole_id} sum to {total:g}, more than its "
                          f"value {whole.value:g}", "exact parts summing to at most the whole")

    def _overlaps(self, doc: Document, c: _Ctx) -> None:
        """Offsets alone decide these, so they run on unhydrated documents too."""
        nspans = sorted((n.span.start, n.span.end, n.id) for n in doc.numbers)
        for (_, e1, a), (s2, _, b) in zip(nspans, nspans[1:], strict=False):
            if s2 < e1:
                c.err("numbers", f"number spans {a} and {b} overlap",
                      "each numeral covered by exactly one number annotation")
        tspans = [(t.span.start, t.span.end, t.id) for t in doc.times]
        for s, e, nid in nspans:
            for ts, te, tid in tspans:
                if s < te and ts < e:
                    c.err("numbers", f"number {nid} overlaps time expression {tid}",
                          "numerals inside a time expression are not annotated as numbers")

    def _coverage(self, doc: Document, c: _Ctx) -> None:
        text = doc.text or ""
        # A numeral s:e is covered when some span starting at or before s ends at or after e:
        # spans sorted by start, with the running maximum of their ends, answer it by bisection.
        covered = sorted([(n.span.start, n.span.end) for n in doc.numbers]
                         + [(t.span.start, t.span.end) for t in doc.times])
        starts = [cs for cs, _ in covered]
        reach = list(accumulate((ce for _, ce in covered), max))
        for s, e, surface in find_numerals(text):
            k = bisect_right(starts, s)
            if not (k and reach[k - 1] >= e):
                ctx = text[max(0, s - 25):e + 25].replace("\n", " ")
                c.err("numbers", f"numeral {surface!r} at {s}:{e} is not annotated (…{ctx}…)",
                      "a number annotation or a time expression covering it")


def check_ids_unique(docs: Iterable[tuple[str, int | None, Document]]) -> list[Problem]:
    seen: dict[str, str] = {}
    out = []
    for file, line, d in docs:
        where = f"{file}:{line}"
        if d.id in seen:
            out.append(Problem(file, line, d.id, "id",
                               f"duplicate document id (first at {seen[d.id]})",
                               "unique document ids"))
        else:
            seen[d.id] = where
    return out


def jsonl_files(paths: Iterable[Path]) -> list[Path]:
    """Expand folders into the *.jsonl files below them (sorted, for stable output)."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(sorted(q for q in p.rglob("*.jsonl") if not q.name.startswith(".")))
        else:
            out.append(p)
    return out


def validate_paths(
    paths: Iterable[Path], text_dirs: Iterable[Path] = ()
) -> tuple[list[tuple[str, int | None, Document]], list[Problem]]:
    """Parse and check every document under `paths`; hydrate from `text_dirs` where possible."""
    from tally.schema.hydrate import hydrate_document

    checker = DocumentChecker()
    text_dirs = list(text_dirs)
    docs: list[tuple[str, int | None, Document]] = []
    problems: list[Problem] = []
    files = jsonl_files(paths)
    for p in paths:
        if not p.exists():
            problems.append(Problem(str(p), None, None, "-", "no such file or folder"))
    for path in files:
        if not path.exists():
            continue
        for lineno, obj, prob in iter_json_lines(path):
            if prob:
                problems.append(prob)
                continue
            doc, probs = parse_model(Document, obj, path, lineno)
            problems.extend(probs)
            if doc is None:
                continue
            if doc.text is None and text_dirs:
                doc, hprob = hydrate_document(doc, text_dirs)
                if hprob:
                    problems.append(Problem(str(path), lineno, doc.id, "text", hprob))
            problems.extend(checker.check(doc, str(path), lineno))
            docs.append((str(path), lineno, doc))
    problems.extend(check_ids_unique(docs))
    return docs, problems
