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
NUMERAL_RE = re.compile(
    rf"(?<![\w]){_DIGITS}|\b(?:{'|'.join(NUMBER_WORDS)})\b", re.IGNORECASE
)


def find_numerals(text: str) -> list[tuple[int, int, str]]:
    """(start, end, surface) of every mechanically detectable numeral in `text`."""
    return [(m.start(), m.end(), m.group()) for m in NUMERAL_RE.finditer(text)]
