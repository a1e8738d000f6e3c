"""The shared number normalizer: a number span's text -> value, bounds and qualifier.

Follows the qualifier table of the annotation guidelines; vague magnitudes come from
`ontology.yaml` (`vague_magnitudes`), default bounds from
`tally.schema.authoring.default_bounds`,
so the normalizer and the gold compiler cannot disagree about what a qualifier implies.
Number words are parsed by text2num (a maintained library); only what it does not cover
("a dozen", "a hundred", ordinals, "half a million") is handled here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache

from text_to_num import text2num

from tally.schema.authoring import default_bounds
from tally.schema.ontology import load_ontology

# Longest phrases first: "no more than" must win over "more than".
_QUALIFIER_PREFIXES: list[tuple[str, str]] = sorted(
    [
        ("no fewer than", "at_least"), ("no less than", "at_least"), ("not less than", "at_least"),
        ("not fewer than", "at_least"), ("a minimum of", "at_least"), ("at least", "at_least"),
        ("at a minimum", "at_least"),
        ("more than", "more_than"), ("in excess of", "more_than"), ("upwards of", "more_than"),
        ("upward of", "more_than"), ("well over", "more_than"), ("just over", "more_than"),
        ("over", "more_than"), ("above", "more_than"), ("well above", "more_than"),
        ("no more than", "at_most"), ("not more than", "at_most"), ("a maximum of", "at_most"),
        ("at most", "at_most"), ("up to", "at_most"), ("as many as", "at_most"),
        ("fewer than", "less_than"), ("less than", "less_than"), ("just under", "less_than"),
        ("under", "less_than"), ("below", "less_than"), ("just below", "less_than"),
        ("an estimated", "approximate"), ("approximately", "approximate"),
        ("about", "approximate"), ("around", "approximate"), ("roughly", "approximate"),
        ("some", "approximate"), ("nearly", "approximate"), ("almost", "approximate"),
        ("close to", "approximate"), ("estimated", "approximate"), ("approx.", "approximate"),
        ("an approximate", "approximate"), ("circa", "approximate"), ("almost exactly", "exact"),
        ("exactly", "exact"), ("precisely", "exact"), ("a total of", "exact"),
        ("a further", "exact"), ("an extra", "exact"), ("the remaining", "exact"),
        ("even", "exact"), ("closer to", "approximate"),
        ("another", "exact"), ("an additional", "exact"), ("only", "exact"), ("just", "exact"),
        ("all", "exact"), ("the", "exact"), ("some of the", "approximate"),
    ],
    key=lambda p: -len(p[0]),
)
_QUALIFIER_SUFFIXES: list[tuple[str, str]] = [
    ("or more", "at_least"), ("or so", "approximate"), ("or fewer", "at_most"),
    ("or less", "at_most"), ("and more", "at_least"), ("and over", "at_least"),
    ("and above", "at_least"), ("-plus", "more_than"), ("plus", "more_than"),
    ("odd", "approximate"), ("-odd", "approximate"),
]
_VAGUE_LEADS = ("several", "a few", "many", "a couple of", "some", "a number of")

_SCALES = {
    "hundred": 1e2, "thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12,
    "dozen": 12, "k": 1e3, "m": 1e6, "mn": 1e6, "bn": 1e9, "b": 1e9,
}
_SMALL_WORDS = {"a dozen": 12, "dozen": 12, "a half-dozen": 6, "half a dozen": 6,
                "a half dozen": 6, "a score": 20, "a couple": 2, "a pair": 2, "a hundred": 100,
                "a thousand": 1000, "a million": 1e6, "a billion": 1e9, "half a million": 5e5,
                "half a billion": 5e8, "twice": 2,
                # Fractions of a whole are percentages, rounded as the annotators do
                # ("more than half" = more than 50; "about two thirds" = about 67).
                "half": 50, "a half": 50, "one half": 50, "a third": 33, "one third": 33,
                "one-third": 33, "a quarter": 25, "one quarter": 25, "two-thirds": 67,
                "two thirds": 67, "three-quarters": 75, "three quarters": 75,
                "a dozen or so": 12, "nil": 0,
                "none": 0, "no": 0, "zero": 0, "single": 1, "a single": 1, "lone": 1, "a": 1,
                "an": 1}
_UNITS = [
    (re.compile(r"^(?:us\s?\$|\$)"), "USD"), (re.compile(r"\b(?:usd|dollars?)$"), "USD"),
    (re.compile(r"^€|\b(?:eur|euros?)$"), "EUR"), (re.compile(r"^£|\b(?:gbp|pounds?)$"), "GBP"),
    (re.compile(r"\b(?:km|kilomet(?:er|re)s?)$"), "km"), (re.compile(r"\b(?:miles?)$"), "mi"),
    (re.compile(r"\b(?:m|met(?:er|re)s?)$"), "m"), (re.compile(r"(?:%|\bper ?cent)$"), "%"),
]
_DIGITS = re.compile(r"^\d{1,3}(?:,\d{3})+(?:\.\d+)?$|^\d+(?:\.\d+)?$|^\.\d+$")
_DIGIT_SCALE = re.compile(r"^(\d[\d,]*(?:\.\d+)?)\s*-?\s*([a-z]+)$")
_ORDINAL_DIGITS = re.compile(r"^(\d+)(?:st|nd|rd|th)$")
_RANGE = re.compile(
    r"^(?:between|from)?\s*(?P<a>.+?)\s*(?:-|–|—|\bto\b|\band\b|\bor\b)\s*(?P<b>.+)$"
)
_IDENT_PREFIX = re.compile(r"^(?:#|no\.\s?|nos?\s|number\s)")
_SLASH_ID = re.compile(r"^(\d+)/\d+$")
_DASHES = str.maketrans({"–": "-", "—": "-", "‑": "-", "’": "'", "\u00a0": " "})


@dataclass(frozen=True)
class Normalized:
    """What a number span means: best value, bounds (None = unbounded) and qualifier."""

    value: float
    lower: float | None
    lower_inclusive: bool
    upper: float | None
    upper_inclusive: bool
    qualifier: str
    unit: str | None = None


@cache
def _vague_table() -> dict[str, tuple[float, float, float]]:
    return {k: (v.value, v.lower, v.upper) for k, v in load_ontology().vague_magnitudes.items()}


_ORD_UNITS = ("first second third fourth fifth sixth seventh eighth ninth tenth eleventh "
              "twelfth thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth "
              "nineteenth").split()
_ORD_TENS = "twentieth thirtieth fortieth fiftieth sixtieth seventieth eightieth ninetieth".split()
_TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()


@cache
def _ordinals() -> dict[str, int]:
    """Ordinal words 1..99 ("forty-seventh" -> 47); text2num parses cardinals only."""
    out = {w: k for k, w in enumerate(_ORD_UNITS, start=1)}
    for t, (tw, ow) in enumerate(zip(_TENS, _ORD_TENS, strict=True), start=2):
        out[ow] = 10 * t
        for u, uw in enumerate(_ORD_UNITS[:9], start=1):
            out[f"{tw}-{uw}"] = 10 * t + u
    return out


def _clean(text: str) -> str:
    s = text.translate(_DASHES).lower().strip()
    s = re.sub(r"\s+", " ", s)
    return s.strip(" .,;:\"'()")


def _strip_prefix(s: str) -> tuple[str, str | None]:
    for phrase, qual in _QUALIFIER_PREFIXES:
        if s.startswith(phrase + " ") and len(s) > len(phrase) + 1:
            return s[len(phrase) + 1 :].lstrip(), qual
    return s, None


def _strip_suffix(s: str) -> tuple[str, str | None]:
    for phrase, qual in _QUALIFIER_SUFFIXES:
        if s.endswith(phrase) and len(s) > len(phrase):
            head = s[: -len(phrase)].rstrip(" -")
            if head:
                return head, qual
    return s, None


def _strip_unit(s: str) -> tuple[str, str | None]:
    for pat, unit in _UNITS:
        m = pat.search(s)
        if m and (m.start() == 0 or m.end() == len(s)):
            rest = (s[: m.start()] + s[m.end() :]).strip(" -")
            if rest and parse_quantity(rest) is not None:
                return rest, unit
    return s, None


def _words_to_number(s: str) -> float | None:
    if s in _SMALL_WORDS:
        return float(_SMALL_WORDS[s])
    if s in _ordinals():
        return float(_ordinals()[s])
    m = re.match(r"^(.+?) and a half(?: ([a-z]+))?$", s)  # "one and a half million"
    if m and (m.group(2) is None or m.group(2) in _SCALES):
        head = _words_to_number(m.group(1)) if not _DIGITS.match(m.group(1)) else float(
            m.group(1).replace(",", ""))
        if head is not None:
            return (head + 0.5) * (_SCALES[m.group(2)] if m.group(2) else 1)
    w = re.sub(r"\s*,\s*", " ", s.replace("-", " "))  # "one thousand, one hundred"
    if w.startswith(("a ", "an ")):
        head, _, rest = w.partition(" ")
        if rest.split(" ", 1)[0] in _SCALES:
            w = "one " + rest
    try:
        return float(text2num(w, "en"))
    except ValueError:
        pass
    parts = w.split(" ")  # "twenty-five thousand" with an ordinal tail, "one and a half million"
    if len(parts) > 1 and parts[-1] in _SCALES:
        head = _words_to_number(" ".join(parts[:-1]))
        if head is not None:
            return head * _SCALES[parts[-1]]
    return None


@lru_cache(maxsize=65536)
def parse_quantity(s: str) -> float | None:
    """A bare quantity (no qualifier): "1,200", "1.2 million", "twenty-five", "a dozen" -> value."""
    s = s.strip()
    if not s:
        return None
    if _DIGITS.match(s):
        return float(s.replace(",", ""))
    m = _ORDINAL_DIGITS.match(s)
    if m:
        return float(m.group(1))
    m = _DIGIT_SCALE.match(s)
    if m and m.group(2) in _SCALES and re.match(r"^\d{1,3}(?:,\d{3})*(?:\.\d+)?$|^\d+(?:\.\d+)?$",
                                                 m.group(1)):
        return float(m.group(1).replace(",", "")) * _SCALES[m.group(2)]
    parts = s.split(" ")
    if len(parts) >= 2 and _DIGITS.match(parts[0]) and all(p in _SCALES for p in parts[1:]):
        v = float(parts[0].replace(",", ""))
        for p in parts[1:]:
            v *= _SCALES[p]
        return v
    if re.search(r"\d", s):
        return None
    return _words_to_number(s)


def _vague(s: str) -> tuple[float, float, float] | None:
    """"dozens", "hundreds of thousands", "several hundred", "tens of thousands of" -> table row."""
    table = _vague_table()
    s = re.sub(r"\s+of$", "", s)
    lead = False
    for w in _VAGUE_LEADS:
        if s.startswith(w + " "):
            s, lead = s[len(w) + 1 :], True
            break
    if s in table:
        return table[s]
    words = [w for w in s.split(" ") if w != "of"]
    if not words or not (lead or words[0].endswith("s")):
        return None
    plural = [w if w.endswith("s") else w + "s" for w in words]
    key = " of ".join(plural)
    return table.get(key)


def _bounds(value: float, qualifier: str) -> tuple[float | None, bool, float | None, bool]:
    try:
        return default_bounds(value, qualifier)
    except KeyError:
        return value, True, value, True


@lru_cache(maxsize=65536)
def normalize(text: str) -> Normalized | None:
    """Normalize a number span; None when the text is not a number expression we understand."""
    s = _clean(text)
    if not s:
        return None
    s, pre = _strip_prefix(s)
    s, suf = _strip_suffix(s)
    qualifier = pre or suf
    if pre and suf is None:
        s, pre2 = _strip_prefix(s)  # "some of the", "about an estimated"
        qualifier = pre2 if pre in ("exact", "approximate") and pre2 else qualifier
    elif suf and pre:
        qualifier = suf if pre in ("exact",) else pre
    s, unit = _strip_unit(s)
    s = _IDENT_PREFIX.sub("", s)
    m = _SLASH_ID.match(s)  # case numbers "41/2024": the first figure is the value
    if m:
        s = m.group(1)
    v = _vague(s)
    if v is not None:
        value, lo, hi = v
        q = qualifier if qualifier not in (None, "exact", "approximate") else "vague"
        if q == "vague":
            return Normalized(value, lo, True, hi, False, "vague", unit)
        return Normalized(value, *_bounds(value, q), q, unit)
    value = parse_quantity(s)
    if value is not None:
        if s in ("a dozen", "dozen", "a dozen or so", "half a dozen", "a half-dozen"):
            qualifier = qualifier if qualifier not in (None, "exact") else "approximate"
        q = qualifier or "exact"
        return Normalized(value, *_bounds(value, q), q, unit)
    m = _RANGE.match(s)
    if m:
        a_s, b_s = m.group("a"), m.group("b")
        b_s, unit_b = _strip_unit(b_s)
        a_s, unit_a = _strip_unit(a_s)
        a, b = parse_quantity(a_s), parse_quantity(b_s)
        if a is not None and b is not None:
            # "20 to 25 million": the scale word of B applies to a bare A.
            tail = b_s.split(" ")[-1]
            if a < b / 1000 and tail in _SCALES and a_s.split(" ")[-1] not in _SCALES:
                a *= _SCALES[tail]
            if a <= b:
                return Normalized(a, a, True, b, True, "range", unit or unit_a or unit_b)
    return None
