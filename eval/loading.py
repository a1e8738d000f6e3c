"""Reading gold and submissions, and checking a submission against the gold, loudly.

Every problem is collected (file, line, document id, field, expected) and raised together as
one `TallyError`: unlike MAVEN's scorer nothing unknown is skipped and nothing missing is
silently scored as empty.
"""

from __future__ import annotations

import gc
import hashlib
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tally.eval.fast import GoldPrep, gold_key_totals, prepare_gold
from tally.eval.plain import PDoc, PSpan, from_json_fast, from_model
from tally.schema.diagnostics import Problem, TallyError
from tally.schema.hydrate import default_text_dirs
from tally.schema.jsonl import iter_json_lines, parse_model
from tally.schema.models import Document, Prediction
from tally.schema.ontology import Ontology, load_ontology
from tally.schema.validate import SUPPORTED_VERSIONS, sha256_text, validate_paths


def _as_paths(p: str | Path | Iterable[str | Path]) -> list[Path]:
    if isinstance(p, (str, Path)):
        return [Path(p)]
    return [Path(x) for x in p]


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while many long-lived objects are built.

    Loading 100k gold documents allocates millions of objects that all stay alive; every
    collection on the way walks them again for nothing (load_gold was 3x slower for it), and a
    single full collection over the gold of 3,000 corpus documents takes 1.7 s. The scorer's
    records hold no reference cycles, so the pause leaves nothing for the collector to find.
    The collector is re-enabled (if it was) on exit, errors included, after moving what was
    made to the oldest generation (`_promote_untraversed`). No lasting `gc.freeze()`: a library
    call must not exempt objects from the collector for the rest of the caller's process.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            _promote_untraversed()
            gc.enable()


def _promote_untraversed() -> None:
    """Move every tracked object to the oldest generation without traversing it.

    Objects made during a pause stay in the youngest generation, so the first collections after
    it would walk all of them (twice: young, then middle generation) only to promote them:
    that walk was 40% of `load_gold`. `gc.freeze()` + `gc.unfreeze()` moves them to the oldest
    generation in constant time instead, where they are collected, like any long-lived object,
    by the next full collection: nothing is exempted from the collector. Skipped when the
    caller has frozen objects of its own (unfreeze would release them)."""
    if gc.get_freeze_count() == 0:
        gc.freeze()
        gc.unfreeze()


def gold_sha256(gold: list[Document]) -> str:
    """SHA-256 over the gold documents sorted by id, without their text (METRICS.md).

    Computed once per `load_gold` result (see GoldDocuments), else on each call."""
    if isinstance(gold, GoldDocuments):
        return gold.sha256()
    return _sha256(gold)


def _sha256(gold: list[Document]) -> str:
    h = hashlib.sha256()
    for d in sorted(gold, key=lambda d: d.id):
        h.update(d.model_dump_json(exclude={"text"}).encode("utf-8"))
        h.update(b"\n")
    return h.hexdigest()


class GoldDocuments(list):
    """What `load_gold` returns: a plain list of the gold documents that also remembers, once
    made, their hash, their columns (`columnar()`, what `evaluate_file` and a leaderboard build
    read every submission against) and, once `prepare()` was called, the per-document path's
    prepared gold index (plain records plus the fast path's keys, `fast.prepare_gold`; what
    `tally compare` keeps). Documents are frozen models; every cache is rebuilt if the list
    itself was changed (each holds the documents it was made from)."""

    __slots__ = ("_columnar", "_hashed", "_indexed")

    def _fresh(self, cached) -> bool:
        docs = cached[0] if cached is not None else None
        return docs is not None and len(docs) == len(self) and all(
            a is b for a, b in zip(docs, self, strict=True))

    def sha256(self) -> str:
        cached = getattr(self, "_hashed", None)
        if self._fresh(cached):
            return cached[1]
        digest = _sha256(self)
        self._hashed = (tuple(self), digest)
        return digest

    def prepare(self) -> GoldIndex:
        """Make (once) and keep the prepared gold index and the hash."""
        cached = self.prepared_index()
        if cached is not None:
            return cached
        with gc_paused():
            index = GoldIndex(gold_index(list(self)))
            for e in index.values():
                e.prepared = prepare_gold(e.doc)
            index.gold_counts = gold_key_totals(e.prepared for e in index.values())
        self._indexed = (tuple(self), index)
        self.sha256()
        return index

    def columnar(self):
        """The gold as columns (`gold_index.columnar_gold`), made once and kept: what the
        columnar scorer reads submissions against."""
        from tally.eval.gold_index import columnar_gold

        cached = getattr(self, "_columnar", None)
        if self._fresh(cached):
            return cached[1]
        gi = columnar_gold(self)
        self._columnar = (tuple(self), gi)
        return gi

    def prepared_index(self) -> GoldIndex | None:
        """The index kept by `prepare()`, if any and still fresh."""
        cached = getattr(self, "_indexed", None)
        return cached[1] if self._fresh(cached) else None


class GoldIndex(dict):
    """A prepared gold index (id -> GoldEntry, every entry prepared) with the gold-side
    breakdown counts of all its documents, added once per evaluation instead of per document."""

    gold_counts: Counter


def load_gold(path_or_paths: str | Path | Iterable[str | Path],
              text_dirs: Iterable[str | Path] = (), prepare: bool = False) -> GoldDocuments:
    """Gold documents from JSONL files or folders, hydrated and validated; TallyError if invalid.

    The result is a list (`GoldDocuments`) of `Document`s. `prepare=True` also makes what every
    scoring needs and keeps it (`GoldDocuments.prepare`): for scoring several submissions."""
    paths = _as_paths(path_or_paths)
    dirs = [Path(d) for d in text_dirs] + default_text_dirs()
    with gc_paused():
        docs, problems = validate_paths(paths, dirs)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise TallyError(errors)
    if not docs:
        raise TallyError([Problem(", ".join(map(str, paths)), None, None, "-",
                                  "no gold documents found", "JSONL files with documents")])
    gold = GoldDocuments(d for _, _, d in docs)
    if prepare:
        gold.prepare()
    return gold


@dataclass(slots=True)
class GoldEntry:
    model: Document
    text: str | None
    text_sha256: str
    index: int  # position in the gold list (documents are scored and resampled in this order)
    prepared: GoldPrep | None = None  # kept by `GoldDocuments.prepare()`

    # A gold list that is not a `GoldDocuments` (a library caller's own list) is prepared
    # document by document while it is scored and dropped after: memory stays at the models.
    @property
    def doc(self) -> PDoc:
        return self.prepared.doc if self.prepared is not None else from_model(self.model)

    @property
    def prep(self) -> GoldPrep:
        return self.prepared if self.prepared is not None else prepare_gold(self.doc)


def gold_index(gold: list[Document]) -> dict[str, GoldEntry]:
    """Id -> entry; the prepared index kept by `GoldDocuments.prepare`, else a new unprepared
    one."""
    if isinstance(gold, GoldDocuments):
        kept = gold.prepared_index()
        if kept is not None:
            return kept
    return {d.id: GoldEntry(d, d.text, d.text_sha256, i) for i, d in enumerate(gold)}


class SubmissionChecker:
    """Checks predictions (as plain records) against the gold index and the ontology."""

    def __init__(self, index: dict[str, GoldEntry], file: str, onto: Ontology | None = None):
        self.index = index
        self.file = file
        self.onto = onto or load_ontology()
        self.seen: dict[str, int | None] = {}
        self.problems: list[Problem] = []
        # type -> (roles, countable roles) as sets, for `_semantics_ok`
        self.role_sets = {name: (frozenset(et.roles), frozenset(et.countable))
                          for name, et in self.onto.event_types.items()}

    def _err(self, line: int | None, doc: str | None, fld: str, msg: str,
             expected: str | None = None) -> None:
        self.problems.append(Problem(self.file, line, doc, fld, msg, expected))

    def check(self, p: PDoc, line: int | None) -> bool:
        """True when the prediction can be scored (its problems are recorded either way)."""
        before = len(self.problems)
        if p.id in self.seen:
            first = self.seen[p.id]
            self._err(line, p.id, "id", f"duplicate document id (first on line {first})",
                      "each document predicted once")
            return False
        self.seen[p.id] = line
        g = self.index.get(p.id)
        if g is None:
            self._err(line, p.id, "id", "unknown document id: not in the gold",
                      "the id of a gold document")
            return False
        if p.format_version not in SUPPORTED_VERSIONS:
            self._err(line, p.id, "format_version", f"unsupported version {p.format_version!r}",
                      f"one of {sorted(SUPPORTED_VERSIONS)}")
        if p.text is not None:
            if (g.text is not None and p.text != g.text) or sha256_text(p.text) != g.text_sha256:
                self._err(line, p.id, "text", "text differs from the gold text",
                          "the gold text exactly, or no text")
        self._spans(p, g.text, line)
        if not _semantics_ok(p, self.role_sets):
            self._semantics(p, line)
        return len(self.problems) == before

    def _span(self, sp: PSpan, text: str | None, line, doc, fld) -> None:
        if text is None:
            return
        s, e, t = sp
        if e > len(text):
            self._err(line, doc, fld, f"offsets {s}:{e} outside the text",
                      f"end <= {len(text)} (the gold text's length)")
        elif text[s:e] != t:
            self._err(line, doc, fld, f"text[{s}:{e}] is {text[s:e]!r}, span says {t!r}",
                      "span text equal to the gold text at its offsets")

    def _spans(self, p: PDoc, text: str | None, line) -> None:
        if text is None or _spans_ok(p, text):
            return
        # Something is wrong: walk again, naming each field as the problems require.
        for i, ev in enumerate(p.events):
            self._span(ev.trigger, text, line, p.id, f"events[{i}].trigger")
            for j, (_, a) in enumerate(ev.args):
                self._span(a, text, line, p.id, f"events[{i}].arguments[{j}]")
            if ev.source is not None:
                self._span(ev.source, text, line, p.id, f"events[{i}].source")
        for i, n in enumerate(p.numbers):
            self._span(n.span, text, line, p.id, f"numbers[{i}].span")
        for i, (_, sp) in enumerate(p.time_ids):
            self._span(sp, text, line, p.id, f"times[{i}].span")

    def _semantics(self, p: PDoc, line) -> None:
        """Every semantic problem, each named by its field (run when `_semantics_ok` is not
        sure there is none)."""
        doc, types = p.id, self.onto.event_types
        ids = Counter([e.id for e in p.events] + [n.id for n in p.numbers]
                      + [t for t, _ in p.time_ids])
        for dup, k in ids.items():
            if k > 1:
                self._err(line, doc, "id", f"mention id {dup!r} used {k} times",
                          "ids unique across events, numbers and times")
        times = {t for t, _ in p.time_ids}
        events = {e.id: e for e in p.events}
        for i, ev in enumerate(p.events):
            f = f"events[{i}]"
            et = types.get(ev.type)
            if et is None:
                self._err(line, doc, f"{f}.type", f"unknown event type {ev.type!r}",
                          "a type of schema/ontology.yaml")
            else:
                for j, (role, _) in enumerate(ev.args):
                    if role not in et.roles:
                        self._err(line, doc, f"{f}.arguments[{j}].role",
                                  f"role {role!r} not allowed for {ev.type}",
                                  f"one of {list(et.roles)}")
                for j, imp in enumerate(ev.implicit):
                    if imp[0] not in et.countable:
                        self._err(line, doc, f"{f}.implicit_counts[{j}].role",
                                  f"role {imp[0]!r} is not countable for {ev.type}",
                                  f"one of {list(et.countable)}")
            if ev.time is not None and ev.time not in times:
                self._err(line, doc, f"{f}.time", f"time {ev.time!r} does not exist",
                          "the id of a time expression of this document")
        for i, n in enumerate(p.numbers):
            f = f"numbers[{i}]"
            exp = expected_bounds(n.value, n.qualifier, n.lower, n.lower_inclusive, n.upper,
                                  n.upper_inclusive)
            if exp:
                self._err(line, doc, f"{f}.lower/upper",
                          f"bounds [{n.lower}, {n.upper}] disagree with qualifier "
                          f"{n.qualifier} and value {n.value:g}", exp)
            if n.kind == "event_count":
                if n.event is None or n.counted_role is None:
                    self._err(line, doc, f"{f}.event", "event count without event/counted_role",
                              "event and counted_role for kind event_count")
                    continue
                ev = events.get(n.event)
                if ev is None:
                    self._err(line, doc, f"{f}.event", f"event {n.event!r} does not exist",
                              "the id of an event mention of this document")
                    continue
                et = types.get(ev.type)
                if et is not None and n.counted_role not in et.countable:
                    self._err(line, doc, f"{f}.counted_role",
                              f"role {n.counted_role!r} is not countable for {ev.type}",
                              f"one of {list(et.countable)}")
            elif n.event is not None or n.counted_role is not None:
                self._err(line, doc, f"{f}.event", f"kind {n.kind} with an event link",
                          "event/counted_role only for kind event_count")
        nums = {n.id for n in p.numbers}
        for i, (_, src, tgt) in enumerate(p.relations):
            for end, ref in (("source", src), ("target", tgt)):
                if ref not in nums:
                    self._err(line, doc, f"relations[{i}].{end}",
                              f"number {ref!r} does not exist", "the id of a number mention")

    def missing(self) -> list[str]:
        return [i for i in self.index if i not in self.seen]

    def missing_problems(self) -> list[Problem]:
        return missing_problems(self.file, self.missing())


def missing_problems(file: str, miss: list[str]) -> list[Problem]:
    """One problem per gold document without a prediction (the first 50, then a count)."""
    out = [Problem(file, None, d, "id", "gold document missing from the predictions",
                   "a line for every gold document (or --allow-missing)") for d in miss[:50]]
    if len(miss) > 50:
        out.append(Problem(file, None, None, "id",
                           f"... and {len(miss) - 50} more missing documents"))
    return out


def _semantics_ok(p: PDoc, role_sets: dict[str, tuple[frozenset, frozenset]]) -> bool:
    """True when `SubmissionChecker._semantics` would find nothing: the same rules in one pass
    with set lookups and no messages (that method walks again to name the problems)."""
    times = [t for t, _ in p.time_ids]
    ids = [e.id for e in p.events] + [n.id for n in p.numbers] + times
    if len(set(ids)) != len(ids):
        return False
    time_set = set(times)
    counted: dict[str, frozenset] = {}
    for ev in p.events:
        rs = role_sets.get(ev.type)
        if rs is None:
            return False
        roles, countable = rs
        for r, _ in ev.args:
            if r not in roles:
                return False
        for imp in ev.implicit:
            if imp[0] not in countable:
                return False
        if ev.time is not None and ev.time not in time_set:
            return False
        counted[ev.id] = countable
    for n in p.numbers:
        if expected_bounds(n.value, n.qualifier, n.lower, n.lower_inclusive, n.upper,
                           n.upper_inclusive):
            return False
        if n.kind == "event_count":
            c = counted.get(n.event) if n.event is not None else None
            if c is None or n.counted_role is None or n.counted_role not in c:
                return False
        elif n.event is not None or n.counted_role is not None:
            return False
    if p.relations:
        nums = {n.id for n in p.numbers}
        for _, src, tgt in p.relations:
            if src not in nums or tgt not in nums:
                return False
    return True


def _spans_ok(p: PDoc, text: str) -> bool:
    """Every span's text equals the gold text at its offsets. Spans have end > start and
    len(text) == end - start (the schema), so an offset past the text fails too."""
    for ev in p.events:
        s, e, t = ev.trigger
        if text[s:e] != t:
            return False
        for _, (s, e, t) in ev.args:
            if text[s:e] != t:
                return False
        if ev.source is not None:
            s, e, t = ev.source
            if text[s:e] != t:
                return False
    for n in p.numbers:
        s, e, t = n.span
        if text[s:e] != t:
            return False
    return all(text[s:e] == t for _, (s, e, t) in p.time_ids)


def expected_bounds(v: float, q: str, lo: float | None, li: bool, hi: float | None,
                    ui: bool) -> str | None:
    """None when the bounds agree with the qualifier (the gold rule), else what is expected."""
    if q in ("exact", "approximate"):
        ok = lo == v and hi == v and li and ui
        return None if ok else f"lower = upper = value ({v:g}), both inclusive, for {q}"
    if q == "at_least":
        return None if (lo == v and li and hi is None) else f"lower = {v:g} inclusive, no upper"
    if q == "more_than":
        return None if (lo == v and not li and hi is None) else f"lower = {v:g} exclusive, no upper"
    if q == "at_most":
        return None if (hi == v and ui and lo is None) else f"upper = {v:g} inclusive, no lower"
    if q == "less_than":
        return None if (hi == v and not ui and lo is None) else f"upper = {v:g} exclusive, no lower"
    if q == "range":
        ok = lo is not None and hi is not None and lo < hi and lo <= v <= hi
        return None if ok else "lower < upper with lower <= value <= upper"
    ok = lo is not None and lo <= v and (hi is None or v < hi)  # vague
    return None if ok else "lower <= value < upper (the vague-magnitude table)"


def iter_plain_predictions(path: str | Path, checker: SubmissionChecker, need_model: bool = False
                           ) -> Iterator[tuple[PDoc, Prediction | None]]:
    """Yield (plain prediction, pydantic model or None) for each valid line; record problems.

    The fast path builds plain records straight from JSON; pydantic runs only when the fast path
    has a doubt, so that the error names the field exactly as the schema does.
    """
    path = Path(path)
    for lineno, obj, prob in iter_json_lines(path):
        if prob:
            checker.problems.append(prob)
            continue
        plain = from_json_fast(obj)
        model = None
        if plain is None:
            model, probs = parse_model(Prediction, obj, path, lineno)
            if model is None:
                checker.problems.extend(probs)
                continue
            plain = from_model(model)
        elif need_model:
            model = Prediction.model_validate(obj)
        if checker.check(plain, lineno):
            yield plain, model


def iter_predictions(path: str | Path, gold: list[Document], allow_missing: bool = False,
                     problems: list[Problem] | None = None) -> Iterator[Prediction]:
    """Yield validated predictions one by one; raise TallyError at the end if anything was wrong.

    With `problems` given, problems are appended there instead of raised."""
    index = gold_index(gold)
    checker = SubmissionChecker(index, str(path))
    for _, model in iter_plain_predictions(path, checker, need_model=True):
        yield model
    if not allow_missing:
        checker.problems.extend(checker.missing_problems())
    if problems is not None:
        problems.extend(checker.problems)
    elif checker.problems:
        raise TallyError(checker.problems)


def load_predictions(path: str | Path, gold: list[Document],
                     allow_missing: bool = False) -> list[Prediction]:
    """Every prediction of a submission, checked against the gold; TallyError lists all problems."""
    return list(iter_predictions(path, gold, allow_missing))
