"""Token features shared by the `linear` and `crf` systems: word, lowercase, shape, affixes,
a context window, gazetteers (number words, qualifiers, cue words, ontology words) and the
trigger lexicon learned from the training split.

Features are strings; word-level ones are cached per word form, so a token costs a few list
concatenations (the prediction-speed target is 50k tokens/s).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from functools import cache, lru_cache

from tally.schema.numerals import NUMBER_WORDS
from tally.schema.ontology import load_ontology

from .tokens import Tokens

FEATURE_SET = "w,lower,shape,prefix2-3,suffix2-4,window+-2,bigrams,gazetteers,trigger-lexicon"

GAZETTEERS: dict[str, frozenset[str]] = {
    "numw": frozenset(
        NUMBER_WORDS + "one zero eleven twelve dozen dozens score scores half".split()
        + "first second third fourth fifth sixth seventh eighth ninth tenth".split()
    ),
    "scale": frozenset("hundred hundreds thousand thousands million millions billion billions "
                       "tens dozens scores".split()),
    "qual": frozenset("about around some roughly approximately estimated nearly almost close "
                      "least more than over excess upwards up most fewer less under below "
                      "between to and minimum maximum no several few many".split()),
    "month": frozenset("january february march april may june july august september october "
                       "november december jan feb mar apr jun jul aug sep sept oct nov dec"
                       .split()),
    "day": frozenset("monday tuesday wednesday thursday friday saturday sunday today yesterday "
                     "tonight overnight week month year weekend morning evening night".split()),
    "say": frozenset("said says say told claimed claims claim reported reports reportedly "
                     "according alleged alleges stated statement announced confirmed denied "
                     "insisted added estimated estimates quoted citing cited".split()),
    "modal": frozenset("could may might would should if unless possible possibly threatened "
                       "threatens feared fears risk likely potential invitation".split()),
    "plan": frozenset("will plans planned plan intends intend intended expected scheduled "
                      "pledged vowed promised ordered prepares preparing".split()),
    "neg": frozenset("not no never denied denies deny n't without nor neither none rejected "
                     "dismissed".split()),
    "cumul": frozenset("so far since total already cumulative overall toll".split()),
    "unit": frozenset("km kilometres kilometers miles metres meters percent % $ usd dollars "
                      "euros pounds".split()),
    "ident": frozenset("brigade battalion division route operation unit regiment resolution "
                       "highway no number corps article".split()),
    "age": frozenset("aged age year old years".split()),
}


_GAZ_INDEX: dict[str, tuple[str, ...]] = {}
for _name, _words in GAZETTEERS.items():
    for _w in _words:
        _GAZ_INDEX[_w] = (*_GAZ_INDEX.get(_w, ()), _name)


@cache
def ontology_words() -> dict[str, str]:
    """Words that occur in exactly one event type's definition (or name): a weak type gazetteer."""
    seen: dict[str, set[str]] = {}
    for name, et in load_ontology().event_types.items():
        text = et.definition + " " + name.replace("_", " ")
        for w in re.findall(r"[a-z]{4,}", text.lower()):
            seen.setdefault(w, set()).add(name)
    stop = {"people", "armed", "group", "groups", "where", "which", "other", "their", "from",
            "into", "that", "this", "with", "without", "another", "conflict", "result", "force",
            "forces", "control", "side", "place", "person", "members", "takes"}
    return {w: next(iter(t)) for w, t in seen.items() if len(t) == 1 and w not in stop}


@lru_cache(maxsize=200_000)
def shape(w: str) -> str:
    s = re.sub(r"[A-Z]", "X", w)
    s = re.sub(r"[a-z]", "x", s)
    s = re.sub(r"\d", "d", s)
    return re.sub(r"(.)\1{2,}", r"\1\1", s)


@lru_cache(maxsize=200_000)
def lemma(w: str) -> str:
    """A crude suffix-stripping stem; enough to tie "killed/killing/kills" together."""
    lw = w.lower()
    for suf in ("ings", "ing", "ed", "es", "s"):
        if len(lw) > len(suf) + 3 and lw.endswith(suf):
            return lw[: -len(suf)]
    return lw


@lru_cache(maxsize=200_000)
def word_features(w: str) -> tuple[str, ...]:
    """Features of a word form alone (cached)."""
    lw = w.lower()
    f = [f"w={w}", f"l={lw}", f"sh={shape(w)}", f"p2={lw[:2]}", f"p3={lw[:3]}",
         f"s2={lw[-2:]}", f"s3={lw[-3:]}", f"s4={lw[-4:]}", f"lem={lemma(w)}"]
    if w[:1].isupper():
        f.append("title")
    if w.isdigit() or re.fullmatch(r"\d[\d,.]*", w):
        f.append("digit")
    f += [f"g={name}" for name in _GAZ_INDEX.get(lw, ())]
    ow = ontology_words().get(lw) or ontology_words().get(lemma(w))
    if ow:
        f.append(f"ont={ow}")
    return tuple(f)


@lru_cache(maxsize=200_000)
def context_features(w: str, k: int) -> tuple[str, ...]:
    """The smaller feature set of a neighbour at offset k."""
    lw = w.lower()
    f = [f"{k}l={lw}", f"{k}sh={shape(w)}", f"{k}lem={lemma(w)}"]
    f += [f"{k}g={name}" for name in _GAZ_INDEX.get(lw, ())]
    return tuple(f)


@lru_cache(maxsize=200_000)
def _window_parts(w: str) -> tuple[tuple[str, ...], ...]:
    """A word's own features and its features as the neighbour at -2, -1, +1, +2 (one cache
    lookup per token instead of five)."""
    return (word_features(w), context_features(w, -2), context_features(w, -1),
            context_features(w, 1), context_features(w, 2))


class Featurizer:
    """Token features for a sentence; holds the trigger lexicon learned from the training split."""

    def __init__(self, lexicon: dict[str, str] | None = None, window: int = 2) -> None:
        self.lexicon = lexicon or {}
        self.window = window

    @staticmethod
    def learn_lexicon(pairs: Iterable[tuple[str, bool]], min_count: int = 1) -> dict[str, str]:
        """word -> bucket of how often the word is (part of) a trigger in training."""
        hits: Counter[str] = Counter()
        total: Counter[str] = Counter()
        for w, is_trig in pairs:
            lw = w.lower()
            total[lw] += 1
            hits[lw] += is_trig
        out = {}
        for w, n in total.items():
            if hits[w] >= min_count:
                r = hits[w] / n
                out[w] = "hi" if r >= 0.6 else "mid" if r >= 0.25 else "lo"
        return out

    def sentence(self, tok: Tokens, i0: int, i1: int) -> list[list[str]]:
        """Feature lists for tokens [i0, i1) of one sentence (hot path: cached tuples joined;
        the window's tuples come from lists padded with BOS/EOS, so no test per position)."""
        if self.window != 2:  # the general (slower) form
            return self._sentence_any(tok, i0, i1)
        words = tok.words[i0:i1]
        n = len(words)
        if not n:
            return []
        low = [w.lower() for w in words]
        parts = [_window_parts(w) for w in words]
        lex = self.lexicon
        head = ("headline",) if i0 == 0 or tok.sent[i0] == 0 else ()
        left2 = [("-2BOS",)] * min(2, n) + [p[1] for p in parts[:-2]]
        left = [("-1BOS",), *[p[2] for p in parts[:-1]]]
        right = [*[p[3] for p in parts[1:]], ("+1EOS",)]
        right2 = [p[4] for p in parts[2:]] + [("+2EOS",)] * min(2, n)
        out = []
        for (wf, *_), l2, r2, l1, r1, lw, pw, nw in zip(
                parts, left2, right2, left, right, low, [None, *low[:-1]], [*low[1:], None],
                strict=True):
            f = [*wf, *l2, *r2, *l1, *r1, *head]
            lb = lex.get(lw)
            if lb:
                f.append(f"lex={lb}")
            if pw is not None:
                f.append(f"b-={pw}|{lw}")
            if nw is not None:
                f.append(f"b+={lw}|{nw}")
            out.append(f)
        return out

    def _sentence_any(self, tok: Tokens, i0: int, i1: int) -> list[list[str]]:
        words = tok.words
        out = []
        lex = self.lexicon
        for i in range(i0, i1):
            w = words[i]
            f = list(word_features(w))
            lb = lex.get(w.lower())
            if lb:
                f.append(f"lex={lb}")
            for k in range(1, self.window + 1):
                if i - k >= i0:
                    f.extend(context_features(words[i - k], -k))
                else:
                    f.append(f"-{k}BOS")
                if i + k < i1:
                    f.extend(context_features(words[i + k], k))
                else:
                    f.append(f"+{k}EOS")
            if i > i0:
                f.append(f"b-={words[i - 1].lower()}|{w.lower()}")
            if i + 1 < i1:
                f.append(f"b+={w.lower()}|{words[i + 1].lower()}")
            if i == 0 or tok.sent[i] == 0:
                f.append("headline")
            out.append(f)
        return out
