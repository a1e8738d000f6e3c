"""`linear` and `crf`: learned taggers for trigger / number / time spans and for each event's
arguments, plus small classifiers for type, kind, link, role, class, scope and factuality, a
source chooser (attribution: which candidate span, if any, is the event's source) and a pairwise
coreference classifier with best-first clustering. `crf` differs from `linear` in its two
sequence taggers (and lets its argument tagger propose source candidates).

Prediction runs stage by stage over a whole batch of documents: one vectorized model call per
stage, never one per document or per event."""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import lru_cache

from tally.schema.models import Document, Prediction
from tally.schema.ontology import load_ontology

from .features import FEATURE_SET, Featurizer, context_features, lemma, word_features
from .heuristics import CLASS_LEXICON, counted_noun, rule_factuality, rule_kind, rule_sources
from .learners import Classifier, CRFTagger, LinearTagger, bio_spans, restore_tagger
from .numbers import normalize
from .pipeline import SOURCE, Analysis, Event, Number, assemble
from .rules import RulesSystem, nearest_event
from .tokens import Tokens, tokenize

JACKKNIFE_FOLDS = 4
COREF_WINDOW = 30  # antecedents considered per mention (pairs grow quadratically otherwise)
CLASSIFIERS = ("type", "kind", "link", "role", "cls", "scope", "fact", "src", "coref")


@lru_cache(maxsize=1024)
def _bucket(d: int) -> str:
    a = abs(d)
    b = a if a <= 3 else 5 if a <= 6 else 10 if a <= 12 else 20
    return f"{'-' if d < 0 else '+'}{b}"


def _sentence_sources(tok: Tokens) -> list[list[tuple[int, int]]]:
    """The said / according-to pattern hits of each sentence (computed once per document)."""
    return [rule_sources(tok, s0, s1) for s0, s1 in tok.sent_bounds]


def _candidates(found: list[tuple[int, int]], extra: set[tuple[int, int]]
                ) -> list[tuple[tuple[int, int], int | None]]:
    """Candidate source spans with their rank among the pattern hits (None: not a hit)."""
    out = [(c, r) for r, c in enumerate(dict.fromkeys(found))]
    hits = {c for c, _ in out}
    out += [(c, None) for c in sorted(extra) if c not in hits]
    return out


def _clusters(events) -> list[str]:
    """Each mention's cluster root, following `coref` pointers (a chain e5 -> e3 -> e1 is one
    cluster whatever the corpus's convention)."""
    ref = {e.id: e.coref or e.id for e in events}

    def root(x: str) -> str:
        seen = set()
        while ref.get(x, x) != x and x not in seen:
            seen.add(x)
            x = ref.get(x, x)
        return x

    return [root(e.id) for e in events]


def _antecedents(mentions: list[tuple[str, str, int]], b: int) -> list[int]:
    """Earlier mentions of the same type within the window: in the training data no cluster
    mixes types, so other pairs need no classifier (and were 85% of all pairs)."""
    return [a for a in range(max(0, b - COREF_WINDOW), b) if mentions[a][0] == mentions[b][0]]


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


def lexicon_featurizer(gold: list[_Gold]) -> Featurizer:
    """Span features with a trigger lexicon learned from the gold triggers of `gold`."""
    pairs = []
    for g in gold:
        trig = {k for _, (i, j) in g.events for k in range(i, j)}
        pairs += [(w, k in trig) for k, w in enumerate(g.tok.words)]
    return Featurizer(Featurizer.learn_lexicon(pairs))


class LinearSystem:
    name = "linear"
    version = "2"
    tagger_cls: Callable = LinearTagger
    # Source spans found by the argument tagger join the attribution candidates only when the
    # tagger is precise enough: with the SGD tagger they cost 4.6 points of attribution
    # accuracy on dev+test, with the CRF they add 0.8 points of tally F1.
    sources_from_tagger = False

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
    def _arg_feats(tok: Tokens, s0: int, s1: int, ti: int, tj: int, typ: str,
                   rsrc: set[int], cache: dict | None = None) -> list[list[str]]:
        """Argument-tagger features of sentence [s0, s1) for the trigger [ti, tj). The parts
        that do not depend on the trigger are built once per sentence (`cache`, keyed by s0):
        a sentence with many triggers is tagged once per trigger."""
        base = cache.get(s0) if cache is not None else None
        if base is None:
            words = tok.words
            base = []
            for k in range(s0, s1):
                st = list(word_features(words[k])[:3])
                if k > s0:
                    st += context_features(words[k - 1], -1)[:1]
                if k + 1 < s1:
                    st += context_features(words[k + 1], 1)[:1]
                base.append((st, words[k].lower(), k in rsrc))
            if cache is not None:
                cache[s0] = base
        t = f"T={typ}"
        per_bucket: dict[str, tuple[str, str, str]] = {}
        out = []
        for k, (st, lw, is_src) in enumerate(base, start=s0):
            b = _bucket(k - ti if k < ti else 0 if k < tj else k - tj + 1)
            bs = per_bucket.get(b)
            if bs is None:
                bs = per_bucket[b] = (f"r={b}", f"{t}|r={b}", f"rsrc|r={b[0]}")
            f = [*st, bs[0], t, bs[1], f"{t}|l={lw}", f"{bs[0]}|l={lw}"]
            if ti <= k < tj:
                f.append("intrigger")
            if is_src:
                f += ["rsrc", bs[2]]
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
        f.append(f"rk={rule_kind(tok, i, j, near is not None)}")  # the rules' guess (stacking)
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
    def _fact_feats(tok: Tokens, i: int, j: int, typ: str, rsrc: bool) -> list[str]:
        """Factuality cues; `rsrc` = the said / according-to patterns found a source in the
        sentence (the same signal in training and prediction, unlike a predicted source)."""
        s0, s1 = tok.sent_bounds[tok.sent[i]]
        words = tok.words
        f = [f"T={typ}", f"tr={' '.join(words[i:j]).lower()}", f"src={rsrc}",
             f"rf={rule_factuality(words, i, rsrc)}"]
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

    @staticmethod
    def _src_feats(tok: Tokens, i: int, j: int, typ: str, cand: tuple[int, int],
                   rank: int | None) -> list[str]:
        """One (event, candidate source span) pair; `rank` = position among the pattern hits."""
        a, b = cand
        words = tok.words
        d = a - j if a >= j else -(i - b + 1)
        bk = _bucket(d)
        fw, lw = words[a].lower(), words[b - 1].lower()
        pw = words[a - 1].lower() if a > 0 else "BOS"
        nw = words[b].lower() if b < len(words) else "EOS"
        f = [f"d={bk}", f"len={min(b - a, 7)}", f"fw={fw}", f"lw={lw}", f"pw={pw}", f"nw={nw}",
             f"rank={rank}", f"T={typ}", f"d={bk}|rank={rank}", f"nw={nw}|d={bk[0]}",
             f"pw={pw}|d={bk[0]}", f"fsh={word_features(words[a])[2]}",
             f"same={tok.sent[a] == tok.sent[i]}", f"cap={words[a][:1].isupper()}"]
        if a <= i < b:
            f.append("covers")
        return f

    @staticmethod
    def _mention(tok: Tokens, i: int, j: int, typ: str) -> tuple[str, str, int]:
        """What the coreference features need of a mention: type, trigger lemma, sentence."""
        return typ, lemma(" ".join(tok.words[i:j])), tok.sent[i]

    @staticmethod
    def _coref_feats(x: tuple[str, str, int], y: tuple[str, str, int],
                     between: int) -> list[str]:
        """An (antecedent, anaphor) pair of mentions (see `_mention`)."""
        same = x[0] == y[0]
        samelem = x[1] == y[1]
        sdb = _bucket(y[2] - x[2])
        f = [f"same={same}", f"tt={x[0]}|{y[0]}", f"sd={sdb}|same={same}",
             f"lem={samelem}|same={same}", f"btw={min(between, 4)}|same={same}",
             f"hx={x[2] == 0}|same={same}", f"ly={y[1]}|same={same}", f"lx={x[1]}|ly={y[1]}"]
        if same:
            f += [f"T={y[0]}|sd={sdb}", f"T={y[0]}|lem={samelem}"]
        return f

    # -- training ----------------------------------------------------------------------------
    def fit(self, docs: list[Document], seed: int = 0,
            progress: Callable[[], None] | None = None) -> LinearSystem:
        gold = [_Gold(d) for d in docs]
        self.feat = lexicon_featurizer(gold)
        self.rules = RulesSystem().fit(docs)
        # Jackknifed rule outputs: on its own training documents the lexicon is too good to be
        # a trustworthy feature, so each fold's rule features come from rules fitted without it.
        folds = JACKKNIFE_FOLDS if len(docs) >= JACKKNIFE_FOLDS else 1
        rule_lex: list[dict[str, str]] = [{}] * len(docs)
        rule_an: list[Analysis | None] = [None] * len(docs)
        for f in range(folds):
            rest = [d for k, d in enumerate(docs) if k % folds != f] if folds > 1 else docs
            r = RulesSystem().fit(rest)
            for k, g in enumerate(gold):
                if k % folds == f:
                    rule_an[k], rule_lex[k] = r.spot(g.doc, g.tok), r.lexicon
        onto = load_ontology()
        X, Y, AX, AY = [], [], [], []
        C: dict[str, tuple[list, list]] = {name: ([], []) for name in CLASSIFIERS}
        for g, ra, lex in zip(gold, rule_an, rule_lex, strict=True):
            tok = g.tok
            labels = g.span_labels()
            found = _sentence_sources(tok)
            rsrc = {k for spans in found for i, j in spans for k in range(i, j)}
            for (s0, s1), feats in zip(tok.sent_bounds, self._sent_feats(tok, ra), strict=True):
                X.append(feats)
                Y.append(labels[s0:s1])
            gold_src: dict[int, set[tuple[int, int]]] = {}
            for e, (i, _j) in g.events:
                r = tok.token_range(e.source.start, e.source.end) if e.source else None
                if r:
                    gold_src.setdefault(tok.sent[i], set()).add(r)
            acache: dict = {}
            for e, (i, j) in g.events:
                C["type"][0].append(self._type_feats(tok, i, j, lex))
                C["type"][1].append(e.type)
                sent = tok.sent[i]
                s0, s1 = tok.sent_bounds[sent]
                AX.append(self._arg_feats(tok, s0, s1, i, j, e.type, rsrc, acache))
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
                C["fact"][0].append(self._fact_feats(tok, i, j, e.type, bool(found[sent])))
                C["fact"][1].append(e.factuality)
                # attribution: every candidate span (pattern hits and the sources annotated in
                # the sentence, which the argument tagger stands in for at prediction time)
                target = tok.token_range(e.source.start, e.source.end) if e.source else None
                for cand, rank in _candidates(found[sent], gold_src.get(sent, set())):
                    C["src"][0].append(self._src_feats(tok, i, j, e.type, cand, rank))
                    C["src"][1].append("yes" if cand == target else "no")
            # coreference: (antecedent, anaphor) pairs within a window of mentions
            mentions = [self._mention(tok, i, j, e.type) for e, (i, j) in g.events]
            cluster = _clusters([e for e, _ in g.events])
            for b in range(len(mentions)):
                for a in _antecedents(mentions, b):
                    C["coref"][0].append(self._coref_feats(mentions[a], mentions[b], b - a - 1))
                    C["coref"][1].append("yes" if cluster[a] == cluster[b] else "no")
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
        """Every stage runs once over the whole batch: features for all documents, then one
        vectorized call per model (a call per document or per event cost more than the work)."""
        onto = load_ontology()
        out = [Analysis(d, tokenize(d.text)) for d in docs]
        found = [_sentence_sources(a.tok) for a in out]
        # 1. trigger / number / time spans
        X, where = [], []
        for k, a in enumerate(out):
            feats = self._sent_feats(a.tok, self.rules.spot(a.doc, a.tok))
            X += feats
            where += [(k, s0) for s0, _ in a.tok.sent_bounds]
        trig_spans: list[list[tuple[int, int]]] = [[] for _ in out]
        num_spans: list[list[tuple[int, int]]] = [[] for _ in out]
        for (k, s0), seq in zip(where, self.span_tagger.tag(X), strict=True):
            tok = out[k].tok
            for i, j, lab in bio_spans(seq):
                span = (s0 + i, s0 + j)
                if lab == "TRIG":
                    trig_spans[k].append(span)
                elif lab == "NUM":
                    if normalize(tok.text[tok.starts[span[0]]:tok.ends[span[1] - 1]]):
                        num_spans[k].append(span)
                elif lab == "TIME":
                    out[k].times.append(span)
        # 2. event types
        lex = self.rules.lexicon
        types = iter(self.clf["type"].predict([self._type_feats(a.tok, i, j, lex)
                                               for a, spans in zip(out, trig_spans, strict=True)
                                               for i, j in spans]))
        for a, spans in zip(out, trig_spans, strict=True):
            a.events = [Event(i, j, next(types)) for i, j in spans]
        # 3. arguments and tagged sources, one tagged sentence per event
        ax, evs = [], []
        for a, fnd in zip(out, found, strict=True):
            rsrc = {k for spans in fnd for i, j in spans for k in range(i, j)}
            acache: dict = {}
            for ev in a.events:
                s0, s1 = a.tok.sent_bounds[a.tok.sent[ev.i]]
                ax.append(self._arg_feats(a.tok, s0, s1, ev.i, ev.j, ev.type, rsrc, acache))
                evs.append((a, ev, s0))
        tagged_src: dict[tuple[int, int], set[tuple[int, int]]] = {}
        tagged = tagged_src if self.sources_from_tagger else {}
        for (a, ev, s0), seq in zip(evs, self.arg_tagger.tag(ax), strict=True):
            for i, j, role in bio_spans(seq):
                if role == SOURCE:
                    tagged_src.setdefault((id(a), a.tok.sent[ev.i]), set()).add((s0 + i,
                                                                                  s0 + j))
                else:
                    ev.args.append((s0 + i, s0 + j, role))
        # 4. factuality; attribution: the best candidate span, if the classifier says yes
        fx, sx, sref = [], [], []
        for a, fnd in zip(out, found, strict=True):
            for ev in a.events:
                sent = a.tok.sent[ev.i]
                fx.append(self._fact_feats(a.tok, ev.i, ev.j, ev.type, bool(fnd[sent])))
                for cand, rank in _candidates(fnd[sent], tagged
                                              .get((id(a), sent), set())):
                    sx.append(self._src_feats(a.tok, ev.i, ev.j, ev.type, cand, rank))
                    sref.append((ev, cand))
        for (_, ev, _), f in zip(evs, self.clf["fact"].predict(fx), strict=True):
            ev.factuality = f
        best: dict[int, tuple[float, Event, tuple[int, int]]] = {}
        for (ev, cand), p in zip(sref, self._yes(self.clf["src"], sx), strict=True):
            if p >= 0.5 and (id(ev) not in best or p > best[id(ev)][0]):
                best[id(ev)] = (p, ev, cand)
        for _, ev, cand in best.values():
            ev.source = cand
        # 5. coreference: link each mention to its likeliest antecedent (best-first)
        cx, cref = [], []
        for a in out:
            m = [self._mention(a.tok, ev.i, ev.j, ev.type) for ev in a.events]
            for b in range(len(m)):
                for x in _antecedents(m, b):
                    cx.append(self._coref_feats(m[x], m[b], b - x - 1))
                    cref.append((a, x, b))
        link: dict[tuple[int, int], tuple[float, int]] = {}
        for (a, x, b), p in zip(cref, self._yes(self.clf["coref"], cx), strict=True):
            key = (id(a), b)
            if p >= 0.5 and (key not in link or p > link[key][0]):
                link[key] = (p, x)
        for a in out:
            for b, ev in enumerate(a.events):
                x = link.get((id(a), b))
                ev.cluster = a.events[x[1]].cluster if x else b
        # 6. number kinds, then links, roles, classes and scopes of the event counts
        kx, kref = [], []
        for a, spans in zip(out, num_spans, strict=True):
            trigs = [(ev.i, ev.j) for ev in a.events]
            for i, j in spans:
                kx.append(self._num_feats(a.tok, i, j, self._nearest(a.tok, i, j, trigs)))
                num = Number(i, j)
                a.numbers.append(num)
                kref.append((a, num))
        lx, lref = [], []
        for (a, num), kind in zip(kref, self.clf["kind"].predict(kx), strict=True):
            num.kind = kind
            if kind != "event_count":
                continue
            tok, i, j = a.tok, num.i, num.j
            cands = [k for k, ev in enumerate(a.events) if tok.sent[ev.i] == tok.sent[i]
                     and onto.event_types[ev.type].countable]
            rnear = nearest_event(a.events, tok, i, j)
            trigs = [(None, (e.i, e.j)) for e in a.events]
            for k in cands:
                ev = a.events[k]
                lx.append(self._pair_feats(tok, (i, j), (ev.i, ev.j), ev.type,
                                           self._between(trigs, (ev.i, ev.j), (i, j)),
                                           self._arg_role(tok, ev.args, i, j), k == rnear))
                lref.append((num, k))
        top: dict[int, tuple[float, int]] = {}
        for (num, k), p in zip(lref, self._yes(self.clf["link"], lx), strict=True):
            if id(num) not in top or p > top[id(num)][0]:
                top[id(num)] = (p, k)
        nfs, nrefs = [], []
        for a, num in kref:
            if id(num) not in top:
                continue
            num.event = top[id(num)][1]
            ev = a.events[num.event]
            tok, i, j = a.tok, num.i, num.j
            nf = self._num_feats(tok, i, j, self._nearest(tok, i, j, [(e.i, e.j)
                                                                      for e in a.events]))
            nf.append(f"T={ev.type}")
            nfs.append((nf, self._arg_role(tok, ev.args, i, j), tok.sent_bounds[tok.sent[i]]))
            nrefs.append((a, num, ev))
        if nrefs:
            roles = self.clf["role"].proba([nf + [f"T={ev.type}|arg={ar}", f"arg={ar}"]
                                            for (nf, ar, _), (_, _, ev)
                                            in zip(nfs, nrefs, strict=True)])
            classes = self.clf["cls"].predict([nf for nf, _, _ in nfs])
            scopes = self.clf["scope"].predict([
                nf + [f"s={w.lower()}" for w in a.tok.words[s0:s1]]
                for (nf, _, (s0, s1)), (a, _, _) in zip(nfs, nrefs, strict=True)])
            rclasses = self.clf["role"].classes
            for (_a, num, ev), rp, cl, sc in zip(nrefs, roles, classes, scopes, strict=True):
                countable = onto.event_types[ev.type].countable
                scored = [(rp[rclasses.index(r)] if r in rclasses else 0.0, -m, r)
                          for m, r in enumerate(countable)]
                num.role = max(scored)[2]
                num.counted_class, num.scope = cl, sc
        return out

    @staticmethod
    def _yes(clf: Classifier, X: list[list[str]]) -> list[float]:
        """P(yes) of a binary classifier, for each row."""
        if not X:
            return []
        classes = clf.classes
        if "yes" not in classes:
            return [0.0] * len(X)
        col = classes.index("yes")
        return clf.proba(X)[:, col].tolist() if len(classes) > 1 else [1.0] * len(X)

    def predict(self, docs: list[Document]) -> list[Prediction]:
        return [assemble(a) for a in self.analyse_many(docs)]

    def prepare(self) -> None:
        """Build lazily built state now (before forking prediction workers)."""
        self.rules.prepare()
        self.span_tagger.prepare()
        self.arg_tagger.prepare()

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
    version = "2"
    tagger_cls = CRFTagger
    sources_from_tagger = True
