"""`rules`: no learning beyond counting. A trigger lexicon from the training split, the number
detector + normalizer, nearest-trigger linking, said / according to / claims patterns."""

from __future__ import annotations

from collections import Counter, defaultdict

from tally.schema.models import Document, Prediction
from tally.schema.ontology import load_ontology

from .heuristics import (
    CLASS_LEXICON,
    counted_noun,
    detect_numbers,
    detect_times,
    rule_factuality,
    rule_kind,
    rule_scope,
    rule_sources,
)
from .pipeline import Analysis, Event, Number, assemble
from .tokens import Tokens, tokenize

MAX_TRIGGER_LEN = 4


def time_token_spans(tok: Tokens) -> list[tuple[int, int]]:
    out = []
    for s, e in detect_times(tok.text):
        r = tok.token_range(s, e)
        if r:
            out.append(r)
    return out


def nearest_event(events: list[Event], tok: Tokens, i: int, j: int) -> int | None:
    """The closest trigger in the number's sentence whose type has a countable role."""
    onto = load_ontology()
    best = None
    for k, ev in enumerate(events):
        if tok.sent[ev.i] != tok.sent[i] or not onto.event_types[ev.type].countable:
            continue
        d = ev.i - j if ev.i >= j else (i - ev.j) + 1  # slight preference for what follows
        if best is None or d < best[0]:
            best = (d, k)
    return best[1] if best else None


def np_after(tok: Tokens, i: int, j: int, limit: int = 5) -> tuple[int, int]:
    """The number's noun phrase: through the counted noun, or up to a boundary word."""
    low = [w.lower() for w in tok.words]
    end = j
    for k in range(j, min(len(low), j + limit)):
        if low[k] in CLASS_LEXICON:
            return i, k + 1
        if not tok.words[k][:1].isalpha() or low[k] in ("were", "was", "had", "have", "in",
                                                        "and", "on", "from", "by", "who"):
            break
        end = k + 1
    return i, max(end, j)


class RulesSystem:
    name = "rules"
    version = "1"

    def __init__(self) -> None:
        self.lexicon: dict[str, str] = {}  # "w1 w2" -> type
        self.roles: dict[str, str] = {}  # type -> most frequent counted role

    # -- training: counting only --------------------------------------------------------------
    def fit(self, docs: list[Document], seed: int = 0, progress=None) -> RulesSystem:
        as_trigger: dict[tuple[str, ...], Counter[str]] = defaultdict(Counter)
        role_counts: dict[str, Counter[str]] = defaultdict(Counter)
        for d in docs:
            tok = tokenize(d.text)
            for e in d.events:
                r = tok.token_range(e.trigger.start, e.trigger.end)
                if r and r[1] - r[0] <= MAX_TRIGGER_LEN:
                    as_trigger[tuple(w.lower() for w in tok.words[r[0]:r[1]])][e.type] += 1
            evtype = {e.id: e.type for e in d.events}
            for n in d.numbers:
                if n.event and n.counted_role:
                    role_counts[evtype[n.event]][n.counted_role] += 1
            if progress:
                progress()
        # how often each candidate phrase occurs at all (precision of the lexicon entry)
        occurs: Counter[tuple[str, ...]] = Counter()
        for d in docs:
            low = [w.lower() for w in tokenize(d.text).words]
            for n in range(1, MAX_TRIGGER_LEN + 1):
                for k in range(len(low) - n + 1):
                    key = tuple(low[k : k + n])
                    if key in as_trigger:
                        occurs[key] += 1
        self.lexicon = {}
        for key, types in as_trigger.items():
            typ, hits = types.most_common(1)[0]
            if sum(types.values()) / max(occurs[key], 1) >= 0.4:
                self.lexicon[" ".join(key)] = typ
        self.roles = {t: c.most_common(1)[0][0] for t, c in role_counts.items()}
        return self

    # -- prediction ---------------------------------------------------------------------------
    def _firsts(self) -> frozenset[str]:
        """First words of the lexicon's phrases (most tokens start none: skip their n-grams)."""
        if getattr(self, "_first_words", None) is None or self._first_lex is not self.lexicon:
            self._first_words = frozenset(k.split(" ", 1)[0] for k in self.lexicon)
            self._first_lex = self.lexicon
        return self._first_words

    def prepare(self) -> None:
        """Build lazily built state now (before forking prediction workers)."""
        self._firsts()

    def spot(self, doc: Document, tok: Tokens | None = None) -> Analysis:
        """Candidate spans only: lexicon triggers, detected numbers, times (no linking)."""
        tok = tok or tokenize(doc.text)
        a = Analysis(doc, tok)
        a.times = time_token_spans(tok)
        in_time = {k for i, j in a.times for k in range(i, j)}
        low = [w.lower() for w in tok.words]
        lex = self.lexicon
        firsts = self._firsts()
        k = 0
        while k < len(low):
            if k not in in_time and low[k] in firsts:
                for n in range(min(MAX_TRIGGER_LEN, len(low) - k), 0, -1):
                    typ = lex.get(" ".join(low[k : k + n]))
                    if typ:
                        a.events.append(Event(k, k + n, typ))
                        k += n - 1
                        break
            k += 1
        a.numbers = [Number(i, j) for i, j in detect_numbers(tok, skip=in_time)]
        return a

    def analyse(self, doc: Document, tok: Tokens | None = None) -> Analysis:
        a = self.spot(doc, tok)
        tok = a.tok
        onto = load_ontology()
        for num in a.numbers:
            i, j = num.i, num.j
            near = nearest_event(a.events, tok, i, j)
            num.kind = rule_kind(tok, i, j, near is not None)
            if num.kind == "event_count" and near is not None:
                ev = a.events[near]
                num.event = near
                num.role = self.roles.get(ev.type) or onto.event_types[ev.type].countable[0]
                noun = counted_noun(tok, j)
                num.counted_class = CLASS_LEXICON.get(noun or "", "people")
                s0, s1 = tok.sent_bounds[tok.sent[i]]
                num.scope = rule_scope(tok.text[tok.starts[s0] : tok.ends[s1 - 1]])
                ni, nj = np_after(tok, i, j)
                ev.args.append((ni, nj, num.role))
        by_sent: dict[int, list[Event]] = defaultdict(list)
        for ev in a.events:
            by_sent[tok.sent[ev.i]].append(ev)
        for s, evs in by_sent.items():
            s0, s1 = tok.sent_bounds[s]
            sources = rule_sources(tok, s0, s1)
            for ev in evs:
                if sources:
                    ev.source = sources[0]
                ev.factuality = rule_factuality(tok.words, ev.i, ev.source is not None)
                self._place(tok, ev, s1)
        return a

    @staticmethod
    def _place(tok: Tokens, ev: Event, s1: int) -> None:
        """"in/near/at" + capitalized words after the trigger -> place (if the type has one)."""
        if "place" not in load_ontology().event_types[ev.type].roles:
            return
        w = tok.words
        for k in range(ev.j, min(s1 - 1, ev.j + 8)):
            if w[k].lower() in ("in", "near", "at") and w[k + 1][:1].isupper():
                e = k + 1
                while e < s1 and (w[e][:1].isupper() or w[e] in ("-",)):
                    e += 1
                ev.args.append((k + 1, e, "place"))
                return

    def predict(self, docs: list[Document]) -> list[Prediction]:
        return [assemble(self.analyse(d)) for d in docs]

    # -- persistence: plain JSON, nothing executable -------------------------------------------
    def state(self) -> dict:
        return {"lexicon": self.lexicon, "roles": self.roles}

    @classmethod
    def from_state(cls, state: dict, estimators: dict, blobs: dict) -> RulesSystem:
        sys_ = cls()
        sys_.lexicon = dict(state["lexicon"])
        sys_.roles = dict(state["roles"])
        return sys_
