"""`linear` and `crf`: learned taggers for trigger / number / time spans and for each event's
arguments and source, plus small classifiers for type, kind, link, role, class, scope and
factuality. `crf` differs from `linear` only in its two sequence taggers."""

from __future__ import annotations

import math
from collections.abc import Callable

from tally.schema.models import Document, Prediction
from tally.schema.ontology import load_ontology

from .features import FEATURE_SET, Featurizer, context_features, lemma, word_features
from .heuristics import CLASS_LEXICON, counted_noun, rule_factuality, rule_sources
from .learners import Classifier, CRFTagger, LinearTagger, bio_spans, restore_tagger
from .numbers import normalize
from .pipeline import SOURCE, Analysis, Event, Number, assemble
from .rules import RulesSystem, nearest_event
from .tokens import Tokens, tokenize

JACKKNIFE_FOLDS = 4
CLASSIFIERS = ("type", "kind", "link", "role", "cls", "scope", "fact")


def _bucket(d: int) -> str:
    a = abs(d)
    b = a if a <= 3 else 5 if a <= 6 else 10 if a <= 12 else 20
    return f"{'-' if d < 0 else '+'}{b}"


class _Gold:
    """A gold document aligned to tokens (spans that cut a token are dropped)."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.tok = tok = tokenize(doc.text)

        def rng(s):
            return tok.token_range(s.start, s.end)

        self.events = [(e, rng(e.trigger)) for e in doc.events if rng(e.trigger)]
        self.numbers = [(n, rng(n.span)) for n in doc.numbers if rng(n.span)]
        self.times = [rng(t.span) for t in doc.times if rng(t.span)]
        self.ev_index = {e.id: k for k, (e, _) in enumerate(self.events)}

    def span_labels(self) -> list[str]:
        labels = ["O"] * len(self.tok)
        for lab, spans in (("TRIG", [r for _, r in self.events]),
                           ("NUM", [r for _, r in self.numbers]), ("TIME", self.times)):
            for i, j in spans:
                if all(x == "O" for x in labels[i:j]):
                    labels[i] = f"B-{lab}"
                    for k in range(i + 1, j):
                        labels[k] = f"I-{lab}"
        return labels


class LinearSystem:
    name = "linear"
    version = "1"
    tagger_cls: Callable = LinearTagger

    def __init__(self) -> None:
        self.feat = Featurizer()
        self.rules = RulesSystem()  # its outputs are features (stacking), jackknifed in training
        self.span_tagger = self.tagger_cls()
        self.arg_tagger = self.tagger_cls()
        self.clf = {name: Classifier() for name in CLASSIFIERS}

    # -- features ----------------------------------------------------------------------------
    def _sent_feats(self, tok: Tokens, ra: Analysis) -> list[list[list[str]]]:
        extra: dict[int, list[str]] = {}
        for ev in ra.events:
            extra.setdefault(ev.i, []).extend(["R=B-TRIG", f"RT={ev.type}"])
            for k in range(ev.i + 1, ev.j):
                extra.setdefault(k, []).extend(["R=I-TRIG", f"RT={ev.type}"])
        for lab, spans in (("NUM", [(n.i, n.j) for n in ra.numbers]), ("TIME", ra.times)):
            for i, j in spans:
                extra.setdefault(i, []).append(f"R=B-{lab}")
                for k in range(i + 1, j):
                    extra.setdefault(k, []).append(f"R=I-{lab}")
        out = []
        for s0, s1 in tok.sent_bounds:
            feats = self.feat.sentence(tok, s0, s1)
            for k in range(s0, s1):
                if k in extra:
                    feats[k - s0].extend(extra[k])
            out.append(feats)
        return out

    @staticmethod
    def _rule_sources(tok: Tokens) -> set[int]:
        return {k for s0, s1 in tok.sent_bounds for i, j in rule_sources(tok, s0, s1)
                for k in range(i, j)}

    @staticmethod
    def _arg_feats(tok: Tokens, s0: int, s1: int, ti: int, tj: int, typ: str,
                   rsrc: set[int]) -> list[list[str]]:
        out = []
        words = tok.words
        for k in range(s0, s1):
            rel = k - ti if k < ti else 0 if k < tj else k - tj + 1
            b = _bucket(rel)
            lw = words[k].lower()
            f = list(word_features(words[k])[:3])
            f += [f"r={b}", f"T={typ}", f"T={typ}|r={b}", f"T={typ}|l={lw}", f"r={b}|l={lw}"]
            if k > s0:
                f += context_features(words[k - 1], -1)[:1]
            if k + 1 < s1:
                f += context_features(words[k + 1], 1)[:1]
            if ti <= k < tj:
                f.append("intrigger")
            if k in rsrc:
                f += ["rsrc", f"rsrc|r={b[0]}"]
            out.append(f)
        return out

    @staticmethod
    def _type_feats(tok: Tokens, i: int, j: int, lex: dict[str, str]) -> list[str]:
        words = [w.lower() for w in tok.words[i:j]]
        f = ["t=" + " ".join(words), f"rt={lex.get(' '.join(words))}"]
        f += [f"tw={w}" for w in words] + [f"tl={lemma(w)}" for w in words]
        f += [f"hs={words[-1][-3:]}", f"n={j - i}"]
        for k in (1, 2):
            if i - k >= 0:
                f.append(f"-{k}={tok.words[i - k].lower()}")
            if j + k - 1 < len(tok):
                f.append(f"+{k}={tok.words[j + k - 1].lower()}")
        for w in words:
            f += [x for x in word_features(w) if x.startswith("ont=")]
        return f

    @staticmethod
    def _num_feats(tok: Tokens, i: int, j: int, near: int | None) -> list[str]:
        words = tok.words
        text = " ".join(words[i:j]).lower()
        f = [f"sw={w.lower()}" for w in words[i:j]] + [f"lsh={word_features(words[j - 1])[2]}"]
        for k in (1, 2, 3):
            if j + k - 1 < len(words):
                f.append(f"+{k}={words[j + k - 1].lower()}")
            if i - k >= 0:
                f.append(f"-{k}={words[i - k].lower()}")
        norm = normalize(text)
        if norm:
            f += [f"q={norm.qualifier}", f"mag={int(math.log10(max(norm.value, 1)))}",
                  f"unit={norm.unit}"]
            if 1900 <= norm.value <= 2100 and norm.qualifier == "exact":
                f.append("yearlike")
        noun = counted_noun(tok, j)
        f.append(f"cls={CLASS_LEXICON.get(noun or '', 'none')}")
        f.append(f"near={_bucket(near) if near is not None else 'none'}")
        if tok.sent[i] == 0:
            f.append("headline")
        return f

    @staticmethod
    def _pair_feats(tok: Tokens, n: tuple[int, int], ev: tuple[int, int], typ: str,
                    between: int, argrole: str | None, rnear: bool) -> list[str]:
        i, j = n
        d = ev[0] - j if ev[0] >= j else -(i - ev[1] + 1)
        b = _bucket(d)
        noun = counted_noun(tok, j) or "none"
        f = [f"d={b}", f"T={typ}", f"T={typ}|d={b}", f"btw={min(between, 3)}",
             f"T={typ}|noun={noun}", f"T={typ}|arg={argrole}", f"arg={argrole is not None}",
             f"cls={CLASS_LEXICON.get(noun, 'none')}|T={typ}", f"rnear={rnear}",
             f"rnear={rnear}|d={b}"]
        lo, hi = (j, ev[0]) if d >= 0 else (ev[1], i)
        if hi - lo <= 6:
            f += [f"bw={w.lower()}" for w in tok.words[lo:hi]]
        else:
            f.append("far")
        return f

    @staticmethod
    def _fact_feats(tok: Tokens, i: int, j: int, typ: str, has_src: bool) -> list[str]:
        s0, s1 = tok.sent_bounds[tok.sent[i]]
        words = tok.words
        f = [f"T={typ}", f"tr={' '.join(words[i:j]).lower()}", f"src={has_src}",
             f"rf={rule_factuality(words, i, has_src)}"]
        for k in range(max(s0, i - 8), i):
            lw = words[k].lower()
            f.append(f"b={lw}")
            if i - k <= 3:
                f.append(f"b{i - k}={lw}")
        for k in range(j, min(s1, j + 3)):
            f.append(f"a={words[k].lower()}")
        sent = {w.lower() for w in words[s0:s1]}
        for cue in ("said", "says", "according", "claimed", "reportedly", "told", "denied",
                    "if", "could", "would", "will", "not", "no"):
            if cue in sent:
                f.append(f"s={cue}")
        return f

    # -- training ----------------------------------------------------------------------------
    def fit(self, docs: list[Document], seed: int = 0,
            progress: Callable[[], None] | None = None) -> LinearSystem:
        gold = [_Gold(d) for d in docs]
        pairs = []
        for g in gold:
            trig = {k for _, (i, j) in g.events for k in range(i, j)}
            pairs += [(w, k in trig) for k, w in enumerate(g.tok.words)]
        self.feat = Featurizer(Featurizer.learn_lexicon(pairs))
        self.rules = RulesSystem().fit(docs)
        # Jackknifed rule outputs: on its own training documents the lexicon is too good to be
        # a trustworthy feature, so each fold's rule features come from rules fitted without it.
        folds = JACKKNIFE_FOLDS if len(docs) >= JACKKNIFE_FOLDS else 1
        rule_lex: list[dict[str, str]] = [{}] * len(docs)
        rule_an: list[Analysis | None] = [None] * len(docs)
        for f in range(folds):
            rest = [d for k, d in enumerate(docs) if k % folds != f] if folds > 1 else docs
            r = RulesSystem().fit(rest)
            for k, d in enumerate(docs):
                if k % folds == f:
                    rule_an[k], rule_lex[k] = r.analyse(d), r.lexicon
        onto = load_ontology()
        X, Y, AX, AY = [], [], [], []
        C: dict[str, tuple[list, list]] = {name: ([], []) for name in CLASSIFIERS}
        for g, ra, lex in zip(gold, rule_an, rule_lex, strict=True):
            tok = g.tok
            labels = g.span_labels()
            rsrc = self._rule_sources(tok)
            for (s0, s1), feats in zip(tok.sent_bounds, self._sent_feats(tok, ra), strict=True):
                X.append(feats)
                Y.append(labels[s0:s1])
            for e, (i, j) in g.events:
                C["type"][0].append(self._type_feats(tok, i, j, lex))
                C["type"][1].append(e.type)
                s0, s1 = tok.sent_bounds[tok.sent[i]]
                AX.append(self._arg_feats(tok, s0, s1, i, j, e.type, rsrc))
                alab = ["O"] * (s1 - s0)
                spans = [(a, a.role) for a in e.arguments] + ([(e.source, SOURCE)]
                                                              if e.source else [])
                for sp, role in spans:
                    r = tok.token_range(sp.start, sp.end)
                    if r and s0 <= r[0] and r[1] <= s1 and all(x == "O" for x in
                                                              alab[r[0] - s0 : r[1] - s0]):
                        alab[r[0] - s0] = f"B-{role}"
                        for k in range(r[0] + 1, r[1]):
                            alab[k - s0] = f"I-{role}"
                AY.append(alab)
                C["fact"][0].append(self._fact_feats(tok, i, j, e.type, e.source is not None))
                C["fact"][1].append(e.factuality)
            for n, (i, j) in g.numbers:
                near = self._nearest(tok, i, j, [r for _, r in g.events])
                C["kind"][0].append(self._num_feats(tok, i, j, near))
                C["kind"][1].append(n.kind)
                if n.kind != "event_count" or n.event not in g.ev_index:
                    continue
                target = g.ev_index[n.event]
                cands = [k for k, (_, r) in enumerate(g.events) if tok.sent[r[0]] == tok.sent[i]]
                rnear = nearest_event([Event(r[0], r[1], e.type) for e, r in g.events], tok, i, j)
                for k in cands:
                    e, r = g.events[k]
                    argrole = self._arg_role(tok, e.arguments, i, j)
                    C["link"][0].append(self._pair_feats(tok, (i, j), r, e.type,
                                                         self._between(g.events, r, (i, j)),
                                                         argrole, k == rnear))
                    C["link"][1].append("yes" if k == target else "no")
                e, r = g.events[target]
                nf = self._num_feats(tok, i, j, near) + [f"T={e.type}"]
                argrole = self._arg_role(tok, e.arguments, i, j)
                C["role"][0].append(nf + [f"T={e.type}|arg={argrole}", f"arg={argrole}"])
                C["role"][1].append(n.counted_role or onto.event_types[e.type].countable[0])
                C["cls"][0].append(nf)
                C["cls"][1].append(n.counted_class or "people")
                s0, s1 = tok.sent_bounds[tok.sent[i]]
                C["scope"][0].append(nf + [f"s={w.lower()}" for w in tok.words[s0:s1]])
                C["scope"][1].append(n.scope or "incident")
            if progress:
                progress()
        self.span_tagger.fit(X, Y, seed)
        self.arg_tagger.fit(AX, AY, seed)
        for name, (cx, cy) in C.items():
            self.clf[name].fit(cx, cy, seed)
        return self

    @staticmethod
    def _nearest(tok: Tokens, i: int, j: int, trigs: list[tuple[int, int]]) -> int | None:
        best = None
        for a, b in trigs:
            if tok.sent[a] != tok.sent[i]:
                continue
            d = a - j if a >= j else -(i - b + 1)
            if best is None or abs(d) < abs(best):
                best = d
        return best

    @staticmethod
    def _between(events, r, n) -> int:
        lo, hi = min(r[0], n[0]), max(r[1], n[1])
        return sum(1 for _, (a, _b) in events if lo < a < hi and (a, _b) != tuple(r))

    @staticmethod
    def _arg_role(tok: Tokens, args, i: int, j: int) -> str | None:
        """Role of the event's argument that contains the number span, if any."""
        for a in args:
            if isinstance(a, tuple):
                ai, aj, role = a
            else:
                r = tok.token_range(a.start, a.end)
                if not r:
                    continue
                (ai, aj), role = r, a.role
            if ai <= i and j <= aj:
                return role
        return None

    # -- prediction --------------------------------------------------------------------------
    def analyse_many(self, docs: list[Document]) -> list[Analysis]:
        onto = load_ontology()
        out = []
        for doc in docs:
            tok = tokenize(doc.text)
            a = Analysis(doc, tok)
            ra = self.rules.analyse(doc)
            rsrc = self._rule_sources(tok)
            tags = self.span_tagger.tag(self._sent_feats(tok, ra))
            trig_spans, num_spans = [], []
            for (s0, _), seq in zip(tok.sent_bounds, tags, strict=True):
                for i, j, lab in bio_spans(seq):
                    span = (s0 + i, s0 + j)
                    if lab == "TRIG":
                        trig_spans.append(span)
                    elif lab == "NUM":
                        if normalize(tok.text[tok.starts[span[0]]:tok.ends[span[1] - 1]]):
                            num_spans.append(span)
                    elif lab == "TIME":
                        a.times.append(span)
            types = self.clf["type"].predict([self._type_feats(tok, i, j, self.rules.lexicon)
                                              for i, j in trig_spans])
            a.events = [Event(i, j, t) for (i, j), t in zip(trig_spans, types, strict=True)]
            # arguments and sources, one tagged sentence per event
            ax = []
            for ev in a.events:
                s0, s1 = tok.sent_bounds[tok.sent[ev.i]]
                ax.append(self._arg_feats(tok, s0, s1, ev.i, ev.j, ev.type, rsrc))
            for ev, seq in zip(a.events, self.arg_tagger.tag(ax), strict=True):
                s0 = tok.sent_bounds[tok.sent[ev.i]][0]
                for i, j, role in bio_spans(seq):
                    if role == SOURCE:
                        ev.source = ev.source or (s0 + i, s0 + j)
                    else:
                        ev.args.append((s0 + i, s0 + j, role))
            facts = self.clf["fact"].predict([self._fact_feats(tok, ev.i, ev.j, ev.type,
                                                               ev.source is not None)
                                              for ev in a.events])
            for ev, f in zip(a.events, facts, strict=True):
                ev.factuality = f
                if ev.source is None:  # back off to the said / according-to patterns
                    s0, s1 = tok.sent_bounds[tok.sent[ev.i]]
                    found = rule_sources(tok, s0, s1)
                    ev.source = found[0] if found else None
            trigs = [(ev.i, ev.j) for ev in a.events]
            kinds = self.clf["kind"].predict([self._num_feats(tok, i, j,
                                                              self._nearest(tok, i, j, trigs))
                                              for i, j in num_spans])
            for (i, j), kind in zip(num_spans, kinds, strict=True):
                num = Number(i, j, kind)
                a.numbers.append(num)
                if kind != "event_count":
                    continue
                cands = [k for k, ev in enumerate(a.events) if tok.sent[ev.i] == tok.sent[i]
                         and onto.event_types[ev.type].countable]
                if not cands:
                    continue
                pairs = []
                rnear = nearest_event(a.events, tok, i, j)
                for k in cands:
                    ev = a.events[k]
                    pairs.append(self._pair_feats(
                        tok, (i, j), (ev.i, ev.j), ev.type,
                        self._between([(None, (e.i, e.j)) for e in a.events], (ev.i, ev.j),
                                      (i, j)),
                        self._arg_role(tok, ev.args, i, j), k == rnear))
                proba = self.clf["link"].proba(pairs)
                classes = self.clf["link"].classes
                col = classes.index("yes") if "yes" in classes else 0
                best = max(range(len(cands)), key=lambda m: proba[m][col])
                num.event = cands[best]
                ev = a.events[num.event]
                nf = self._num_feats(tok, i, j, self._nearest(tok, i, j, trigs))
                nf.append(f"T={ev.type}")
                argrole = self._arg_role(tok, ev.args, i, j)
                rp = self.clf["role"].proba([nf + [f"T={ev.type}|arg={argrole}",
                                                   f"arg={argrole}"]])[0]
                countable = onto.event_types[ev.type].countable
                rclasses = self.clf["role"].classes
                scored = [(rp[rclasses.index(r)] if r in rclasses else 0.0, -m, r)
                          for m, r in enumerate(countable)]
                num.role = max(scored)[2]
                num.counted_class = self.clf["cls"].predict([nf])[0]
                s0, s1 = tok.sent_bounds[tok.sent[i]]
                num.scope = self.clf["scope"].predict(
                    [nf + [f"s={w.lower()}" for w in tok.words[s0:s1]]])[0]
            out.append(a)
        return out

    def predict(self, docs: list[Document]) -> list[Prediction]:
        return [assemble(a) for a in self.analyse_many(docs)]

    # -- persistence -------------------------------------------------------------------------
    def state(self) -> dict:
        return {"lexicon": self.feat.lexicon, "window": self.feat.window,
                "rules": self.rules.state(),
                "features": FEATURE_SET,
                "span_tagger": self.span_tagger.state(), "arg_tagger": self.arg_tagger.state(),
                "classifiers": {k: c.state() for k, c in self.clf.items()}}

    def estimators(self) -> dict:
        est = {}
        est.update(self.span_tagger.estimators("span_tagger"))
        est.update(self.arg_tagger.estimators("arg_tagger"))
        for k, c in self.clf.items():
            est.update(c.estimators(f"clf_{k}"))
        return est

    def blobs(self) -> dict[str, bytes]:
        return {**self.span_tagger.blobs("span_tagger"), **self.arg_tagger.blobs("arg_tagger")}

    @classmethod
    def from_state(cls, state: dict, estimators: dict, blobs: dict) -> LinearSystem:
        s = cls()
        s.feat = Featurizer(dict(state["lexicon"]), state["window"])
        s.rules = RulesSystem.from_state(state["rules"], {}, {})
        s.span_tagger = restore_tagger(state["span_tagger"], estimators, blobs, "span_tagger")
        s.arg_tagger = restore_tagger(state["arg_tagger"], estimators, blobs, "arg_tagger")
        s.clf = {k: Classifier.restore(v, estimators, f"clf_{k}")
                 for k, v in state["classifiers"].items()}
        return s


class CRFSystem(LinearSystem):
    name = "crf"
    version = "1"
    tagger_cls = CRFTagger
