"""The number normalizer: hand cases, round trips through number words, and every gold span."""

from __future__ import annotations

import inflect
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tally.baselines.numbers import normalize
from tally.data import load_split

_ENG = inflect.engine()


@pytest.mark.parametrize(("text", "value", "lower", "upper", "qualifier"), [
    ("Around 750", 750, 750, 750, "approximate"),
    ("at least 10", 10, 10, None, "at_least"),
    ("more than 1,000", 1000, 1000, None, "more_than"),
    ("up to 15", 15, None, 15, "at_most"),
    ("fewer than a dozen", 12, None, 12, "less_than"),
    ("between 20 and 25", 20, 20, 25, "range"),
    ("20-25", 20, 20, 25, "range"),
    ("20 to 25 million", 20e6, 20e6, 25e6, "range"),
    ("dozens", 12, 12, 100, "vague"),
    ("tens of thousands", 1e4, 1e4, 1e5, "vague"),
    ("several hundred", 100, 100, 1000, "vague"),
    ("hundreds of thousands", 1e5, 1e5, 1e6, "vague"),
    ("1.2 million", 1.2e6, 1.2e6, 1.2e6, "exact"),
    ("a dozen", 12, 12, 12, "approximate"),
    ("twenty-five", 25, 25, 25, "exact"),
    ("three hundred and forty", 340, 340, 340, "exact"),
    ("750 or more", 750, 750, None, "at_least"),
    # fractions of a whole are percentages, as annotated ("more than half" = more than 50)
    ("nearly half", 50, 50, 50, "approximate"),
    ("about two thirds", 67, 67, 67, "approximate"),
    ("one and a half million", 1.5e6, 1.5e6, 1.5e6, "exact"),
    ("half a million", 5e5, 5e5, 5e5, "exact"),
    ("18 and over", 18, 18, None, "at_least"),
    ("an extra 5,000", 5000, 5000, 5000, "exact"),
])
def test_hand_cases(text, value, lower, upper, qualifier):
    n = normalize(text)
    assert n is not None
    assert (n.value, n.lower, n.upper, n.qualifier) == (value, lower, upper, qualifier)


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=999_999))
def test_number_words_round_trip(n):
    words = _ENG.number_to_words(n, andword="and")
    assert normalize(words).value == n
    assert normalize(f"at least {words}").lower == n


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=1, max_value=10**9))
def test_digits_with_separators_round_trip(n):
    assert normalize(f"{n:,}").value == n
    assert normalize(f"more than {n:,}").lower_inclusive is False


def gold_number_accuracy() -> tuple[float, list[str]]:
    docs = load_split("train") + load_split("dev") + load_split("test")
    misses, total = [], 0
    for d in docs:
        for n in d.numbers:
            total += 1
            r = normalize(n.span.text)
            got = r and (r.value, r.lower, r.lower_inclusive, r.upper, r.upper_inclusive,
                         r.qualifier)
            if got != (n.value, n.lower, n.lower_inclusive, n.upper, n.upper_inclusive,
                       n.qualifier):
                misses.append(f"{d.id} {n.span.text!r}: gold {n.value} {n.qualifier} "
                              f"[{n.lower},{n.upper}] got {got}")
    return 1 - len(misses) / max(total, 1), misses


def test_every_gold_number_span():
    acc, misses = gold_number_accuracy()
    print(f"\nexact value+bounds+qualifier accuracy {acc:.4f} ({len(misses)} misses)")
    print("\n".join(misses))
    assert acc >= 0.98
