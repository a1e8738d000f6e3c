"""Hand-written components: the `rules` system uses all of them; the learned systems reuse the
ones nothing is learned for (time normalization, coreference, number relations, implicit counts).
"""

from __future__ import annotations

import datetime as dt
import re

from .features import GAZETTEERS
from .numbers import _QUALIFIER_PREFIXES, normalize
from .tokens import Tokens

# --- numbers ---------------------------------------------------------------------------------

_NUMWORDS = GAZETTEERS["numw"] - {"first", "second", "half", "score", "scores"}
_QUAL_DETECT = [p.split() for p, _ in _QUALIFIER_PREFIXES
                if p not in ("the", "all", "only", "just", "a further", "another",
                             "an additional", "a total of", "some of the")]
_VAGUE_WORDS = {"dozens", "hundreds", "thousands", "millions", "tens", "scores"}
_DIGIT_RE = re.compile(r"^\d[\d,.]*$")
_ORD_RE = re.compile(r"^\d+(?:st|nd|rd|th)$")


def _is_core(w: str) -> bool:
    lw = w.lower()
    return bool(_DIGIT_RE.match(w)) or lw in _NUMWORDS or lw in _VAGUE_WORDS


def detect_numbers(tok: Tokens, skip: set[int] | None = None) -> list[tuple[int, int]]:
    """Token spans of number expressions with their qualifier words and ranges."""
    words = [w.lower() for w in tok.words]
    n = len(words)
    skip = skip or set()
    out: list[tuple[int, int]] = []
    i = 0
    while i < n:
        if i in skip or not (_is_core(tok.words[i]) or _ORD_RE.match(words[i])
                             or (words[i] in ("a", "several") and i + 1 < n
                                 and words[i + 1] in ("dozen", "hundred", "thousand"))):
            i += 1
            continue
        if words[i] == "one" and (i + 1 < n and words[i + 1] in ("of", ",", ".", "another")):
            i += 1
            continue
        j = i + 1
        while j < n and j not in skip and (
            _is_core(tok.words[j]) or words[j] in ("and", "-", "dozen", "of")
            and j + 1 < n and _is_core(tok.words[j + 1])
            or words[j] in ("dozen", "hundred", "thousand", "million", "billion")
        ):
            j += 1
        # a range: "20-25", "20 to 25", "between 20 and 25"
        if j + 1 < n and words[j] in ("-", "to", "and", "or") and _is_core(tok.words[j + 1]) \
                and (words[j] != "and" or (i > 0 and words[i - 1] == "between")):
            j += 2
            while j < n and words[j] in ("hundred", "thousand", "million", "billion"):
                j += 1
        start = i
        if start > 0 and words[start - 1] == "between":
            start -= 1
        else:
            for phrase in _QUAL_DETECT:
                k = len(phrase)
                if start - k >= 0 and words[start - k : start] == phrase:
                    start -= k
                    break
        if start > 0 and tok.words[start - 1] in ("$", "US$", "€", "£"):
            start -= 1
        if j < n and words[j] in ("or",) and j + 1 < n and words[j + 1] in ("more", "so"):
            j += 2
        out.append((start, j))
        i = j
    return out


def rule_kind(tok: Tokens, i: int, j: int, near_trigger: bool) -> str:
    words = tok.words
    nxt = [w.lower() for w in words[j : j + 3]]
    prv = [w.lower() for w in words[max(0, i - 2) : i]]
    span = " ".join(words[i:j]).lower()
    if _ORD_RE.match(words[j - 1].lower()) or words[j - 1].lower() in (
            "first", "second", "third", "fourth", "fifth"):
        return "identifier" if nxt[:1] and nxt[0][:1].isalpha() and words[j][:1].isupper() \
            else "ordinal"
    if nxt[:1] in (["%"], ["percent"], ["per"]):
        return "percentage"
    if "$" in span or nxt[:1] and nxt[0] in ("dollars", "shekels", "naira", "euros", "pounds"):
        return "money"
    if nxt[:1] and nxt[0] in ("km", "kilometres", "kilometers", "miles", "metres", "meters"):
        return "distance"
    if nxt[:3] == ["-", "year", "-"] or nxt[:2] == ["years", "old"] or prv[-1:] == ["aged"]:
        return "age"
    if nxt[:1] and nxt[0] in ("days", "hours", "weeks", "months", "years", "minutes"):
        return "duration"
    if prv[-1:] and prv[-1] in GAZETTEERS["ident"]:
        return "identifier"
    return "event_count" if near_trigger else "other"


CLASS_LEXICON: dict[str, str] = {
    **dict.fromkeys("soldiers troops fighters militants insurgents rebels combatants "
                    "servicemen personnel militiamen gunmen policemen officers police "
                    "recruits conscripts members deserters defectors attackers assailants "
                    "terrorists jihadists guards paramilitaries commandos".split(), "combatants"),
    **dict.fromkeys("civilians children women residents villagers farmers students worshippers "
                    "patients refugees girls boys men passengers journalists teachers "
                    "protesters demonstrators doctors nurses workers families".split(),
                    "civilians"),
    **dict.fromkeys("people persons others individuals detainees prisoners hostages captives "
                    "bodies dead wounded victims inmates".split(), "people"),
    **dict.fromkeys("villages towns cities districts positions posts bases settlements "
                    "localities areas outposts neighbourhoods neighborhoods".split(), "places"),
    **dict.fromkeys("homes houses buildings schools hospitals shops markets mosques churches "
                    "structures bridges shelters clinics".split(), "structures"),
    **dict.fromkeys("vehicles tanks trucks cars pickups aircraft helicopters jets boats "
                    "convoys".split(), "vehicles"),
    **dict.fromkeys("drones rifles weapons guns firearms launchers".split(), "weapons"),
    **dict.fromkeys("missiles rockets shells mortars bombs rounds munitions grenades "
                    "ammunition".split(), "munitions"),
    **dict.fromkeys("households".split(), "households"),
    **dict.fromkeys("tonnes tons pallets kits parcels rations sacks supplies".split(), "supplies"),
}


def counted_noun(tok: Tokens, j: int, limit: int = 4) -> str | None:
    """The first word after a number that the class lexicon knows ("750 junta soldiers")."""
    for w in tok.words[j : j + limit]:
        lw = w.lower()
        if lw in CLASS_LEXICON:
            return lw
        if lw in (".", ";", "said"):
            break
    return None


_CUMUL = re.compile(r"\b(so far|since|already|in total|total|toll|overall|to date|cumulative)\b",
                    re.I)
_PERIOD = re.compile(r"\b(past|last|over the|this|during the|in the)\s+(\w+\s+)?"
                     r"(days?|weeks?|months?|years?|hours?)\b", re.I)


def rule_scope(sentence: str) -> str:
    if _CUMUL.search(sentence):
        return "cumulative"
    if _PERIOD.search(sentence):
        return "period"
    return "incident"


# --- factuality and attribution -------------------------------------------------------------

def rule_factuality(words: list[str], i: int, has_source: bool) -> str:
    before = [w.lower() for w in words[max(0, i - 6) : i]]
    if any(w in GAZETTEERS["neg"] for w in before[-4:]):
        return "negated"
    if any(w in ("could", "may", "might", "would", "if", "should", "possible") for w in before):
        return "hypothetical"
    if any(w in ("will", "plans", "planned", "plan", "intends", "scheduled", "expected")
           for w in before):
        return "planned"
    return "reported" if has_source else "asserted"


_SAY = {"said", "says", "say", "told", "claimed", "claims", "reported", "reports", "stated",
        "alleged", "added", "confirmed", "announced", "estimated", "insisted"}


def rule_sources(tok: Tokens, s0: int, s1: int) -> list[tuple[int, int]]:
    """Source spans of one sentence: "according to X", "X said", "said X", "reportedly"."""
    words = tok.words
    low = [""] * s0 + [w.lower() for w in words[s0:s1]]  # indexable by token number
    out = []
    for k in range(s0, s1):
        if low[k] == "according" and k + 1 < s1 and low[k + 1] == "to":
            a = k + 2
            b = a
            while b < s1 and low[b] not in (",", ".", ";", "-", "—", "that") and b - a < 10:
                b += 1
            if b > a:
                out.append((a, b))
        elif low[k] in _SAY:
            # "X said": the noun phrase right before, back to a clause boundary
            b = k
            a = b
            while a > s0 and low[a - 1] not in (",", ".", ";", "\"", "“", "”", "that", "and",
                                                "—", "-", "but", ":") and b - a < 8:
                a -= 1
            if b > a and low[a] not in ("it", "which", "who"):
                out.append((a, b))
            elif k + 1 < s1 and low[k + 1] in ("the", "a") or (k + 1 < s1
                                                                and words[k + 1][:1].isupper()):
                a = k + 1
                b = a + 1
                while b < s1 and low[b] not in (",", ".", ";", "on", "in", "that") and b - a < 8:
                    b += 1
                out.append((a, b))
        elif low[k] in ("reportedly", "allegedly"):
            out.append((k, k + 1))
    return out


# --- time expressions -----------------------------------------------------------------------

_MONTHS = {m: i for i, m in enumerate(
    "january february march april may june july august september october november december"
    .split(), start=1)}
_MONTHS.update({m[:3]: i for m, i in list(_MONTHS.items())})
_MONTHS["sept"] = 9
_WEEKDAYS = {d: i for i, d in enumerate(
    "monday tuesday wednesday thursday friday saturday sunday".split())}
_MON = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_TIME_PATTERNS = [
    re.compile(rf"\b(?:on\s+)?\d{{1,2}}\s+{_MON}(?:\s+\d{{4}})?\b", re.I),
    re.compile(rf"\b(?:on\s+)?{_MON}\s+\d{{1,2}}(?:,?\s+\d{{4}})?\b", re.I),
    re.compile(rf"\b(?:(?:early|late|mid)(?:\s+in)?\s+|in\s+)?{_MON}(?:\s+\d{{4}})?\b", re.I),
    re.compile(r"\b(?:(?:late|early)\s+)?(?:on\s+|last\s+)?(?:monday|tuesday|wednesday|thursday|"
               r"friday|saturday|sunday)\b", re.I),
    re.compile(r"\b(?:(?:in|over|during)\s+)?the\s+(?:past|last)\s+(?:\w+\s+)?"
               r"(?:days?|weeks?|months?|years?|hours?)\b", re.I),
    re.compile(r"\b(?:this|last|next)\s+(?:week|month|year)\b|\byesterday\b|\btoday\b", re.I),
    re.compile(r"\b(?:in|since)\s+(?:early\s+|late\s+)?(?:19|20)\d\d\b", re.I),
]


def detect_times(text: str) -> list[tuple[int, int]]:
    """Character spans of time expressions (longest match wins, no overlaps)."""
    found = []
    for pat in _TIME_PATTERNS:
        for m in pat.finditer(text):
            s = m.group()
            if s.lower() in ("may", "march", "in may", "in march"):
                continue  # modal "may" / the verb "march"
            found.append((m.start(), m.end()))
    found.sort(key=lambda x: (x[0], -(x[1] - x[0])))
    out: list[tuple[int, int]] = []
    for s, e in found:
        if out and s < out[-1][1]:
            continue
        out.append((s, e))
    return out


def normalize_time(text: str, anchor: dt.date) -> tuple[str, str, str | None, str | None]:
    """(type, value, precision, mod) for a time expression against the dateline date."""
    s = text.lower()
    mod = "end" if "late" in s or "end of" in s else "start" if "early" in s or "start" in s \
        else "mid" if "mid" in s else None
    m = re.search(r"(?:past|last|over)\s+(\w+\s+)?(day|week|month|year|hour)s?", s)
    if m and ("past" in s or m.group(1)):
        num = normalize(m.group(1) or "one") if m.group(1) else None
        k = int(num.value) if num else 1
        unit = {"day": "D", "week": "W", "month": "M", "year": "Y", "hour": "H"}[m.group(2)]
        return "duration", (f"PT{k}H" if unit == "H" else f"P{k}{unit}"), None, None
    year_m = re.search(r"\b((?:19|20)\d\d)\b", s)
    year = int(year_m.group(1)) if year_m else None
    mon = next((v for k, v in _MONTHS.items() if re.search(rf"\b{k}\b", s)), None)
    day_m = re.search(r"\b(\d{1,2})\b", re.sub(r"\b(?:19|20)\d\d\b", "", s))
    if mon:
        y = year or (anchor.year if mon <= anchor.month else anchor.year - 1)
        if day_m:
            try:
                return "date", dt.date(y, mon, int(day_m.group(1))).isoformat(), "day", mod
            except ValueError:
                pass
        return "date", f"{y:04d}-{mon:02d}", "month", mod
    if year and not mon:
        return "date", f"{year:04d}", "year", mod
    for name, wd in _WEEKDAYS.items():
        if name in s:
            delta = (anchor.weekday() - wd) % 7
            return "date", (anchor - dt.timedelta(days=delta)).isoformat(), "day", mod
    if "yesterday" in s:
        return "date", (anchor - dt.timedelta(days=1)).isoformat(), "day", None
    if "week" in s:
        d = anchor - dt.timedelta(days=7) if "last" in s else anchor
        y, w, _ = d.isocalendar()
        return "date", f"{y}-W{w:02d}", "week", None
    if "month" in s:
        d = (anchor.replace(day=1) - dt.timedelta(days=1)) if "last" in s else anchor
        return "date", f"{d.year:04d}-{d.month:02d}", "month", None
    if "year" in s:
        return "date", f"{anchor.year - ('last' in s):04d}", "year", None
    return "date", anchor.isoformat(), "day", mod
