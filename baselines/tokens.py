"""Tokens with character offsets (nltk's RegexpTokenizer) and sentence boundaries.

Numbers with separators stay one token ("1,200", "2.5"); everything else splits at hyphens and
punctuation so gold spans ("41" in "41-year-old") fall on token boundaries.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from nltk.tokenize import RegexpTokenizer

_TOKENIZER = RegexpTokenizer(r"\d+(?:[.,]\d+)*|\w+|[^\w\s]")
_ENDERS = {".", "!", "?"}


@dataclass
class Tokens:
    """A tokenized text: parallel lists of starts, ends and surface forms, and sentence ids."""

    text: str
    starts: list[int]
    ends: list[int]
    words: list[str]
    sent: list[int] = field(default_factory=list)
    sent_bounds: list[tuple[int, int]] = field(default_factory=list)  # token [start, end)

    def __len__(self) -> int:
        return len(self.words)

    def token_range(self, start: int, end: int) -> tuple[int, int] | None:
        """Tokens covering characters [start, end), or None when the span cuts a token."""
        import bisect

        i = bisect.bisect_left(self.ends, start + 1)
        j = bisect.bisect_left(self.starts, end)
        if i >= j or self.starts[i] != start or self.ends[j - 1] != end:
            return None
        return i, j

    def char_span(self, i: int, j: int) -> tuple[int, int]:
        return self.starts[i], self.ends[j - 1]


def tokenize(text: str) -> Tokens:
    spans = list(_TOKENIZER.span_tokenize(text))
    starts = [s for s, _ in spans]
    ends = [e for _, e in spans]
    words = [text[s:e] for s, e in spans]
    tok = Tokens(text, starts, ends, words)
    _sentences(tok)
    return tok


def _sentences(tok: Tokens) -> None:
    """A sentence ends at . ! ? followed by a capital/quote, or at a line break."""
    sent, cur, first = [], 0, 0
    bounds = []
    n = len(tok.words)
    for i in range(n):
        sent.append(cur)
        if i + 1 == n:
            break
        gap = tok.text[tok.ends[i] : tok.starts[i + 1]]
        nxt = tok.words[i + 1]
        brk = "\n" in gap or (
            tok.words[i] in _ENDERS and gap != "" and (nxt[:1].isupper() or nxt in "\"“'‘")
        )
        if brk:
            bounds.append((first, i + 1))
            cur += 1
            first = i + 1
    if n:
        bounds.append((first, n))
    tok.sent = sent
    tok.sent_bounds = bounds
