"""Find the numerals a text contains, so number-annotation completeness can be checked.

Digits are always numerals. Number words are numerals when they are unambiguous cardinals or
magnitudes; "one" (often a pronoun), ordinal words and fractions are left to the annotator
(GUIDELINES.md, "Which numbers to annotate").
"""

from __future__ import annotations

import re

NUMBER_WORDS = (
    "two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety "
    "hundred hundreds thousand thousands million millions billion billions dozen dozens tens"
).split()

_DIGITS = r"\d+(?:[.,]\d+)*"


def _trie(words: list[str]) -> str:
    """The words as one prefix-factored alternation ("t(?:en(?:s)?|wo)" for ten, tens, two).

    Each number word must span a whole \\w run (\\b on both sides), so at most one alternative
    can match at a position: the order of alternatives does not matter and factoring is exact.
    It is several times faster than the flat alternation (sre tries every word at every word
    start, case-insensitively), which made this rule a large part of gold validation."""
    tree: dict = {}
    for w in words:
        node = tree
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict) -> str:
        alts = [ch + emit(sub) for ch, sub in sorted(node.items()) if ch]
        if not alts:
            return ""
        if "" in node:  # a word ends here and longer ones go on: the rest is optional
            return "(?:" + "|".join(alts) + ")?"
        return alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"

    return emit(tree)


# The leading \b is implied by both branches (a digit not preceded by a word character starts a
# \w run); stated first, it lets sre reject mid-word positions at once.
NUMERAL_RE = re.compile(
    rf"\b(?:(?<![\w]){_DIGITS}|{_trie(NUMBER_WORDS)}\b)", re.IGNORECASE
)


def find_numerals(text: str) -> list[tuple[int, int, str]]:
    """(start, end, surface) of every mechanically detectable numeral in `text`."""
    return [(m.start(), m.end(), m.group()) for m in NUMERAL_RE.finditer(text)]
