"""The authoring format: compile/decompile round trips (corpus-wide and property-based), errors."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tally.schema.authoring import compile_file, compile_text, decompile
from tally.schema.models import Document, NumberMention, Span

from .conftest import DATA, SMALL_TLY, compile_ok

TLY_FILES = sorted((DATA / "authoring").rglob("*.tly"))


def test_small_round_trip(small_doc):
    assert compile_ok(decompile(small_doc)) == small_doc


def test_seed_round_trip(seed_doc):
    assert compile_ok(decompile(seed_doc)) == seed_doc


@pytest.mark.skipif(not TLY_FILES, reason="no .tly files in data/authoring")
def test_every_corpus_document_round_trips():
    failures = []
    for f in TLY_FILES:
        doc, problems = compile_file(f)
        assert not problems, "\n".join(map(str, problems))
        again, problems = compile_text(decompile(doc), str(f))
        if problems or again != doc:
            failures.append(str(f))
    assert not failures


def test_offsets_are_computed_from_markup(small_doc):
    for ev in small_doc.events:
        assert small_doc.text[ev.trigger.start:ev.trigger.end] == ev.trigger.text
    assert small_doc.headline.text.startswith("At least 12 civilians")
    n3 = next(n for n in small_doc.numbers if n.id == "n3")
    assert (n3.span.text, n3.value, n3.qualifier) == ("twenty-five", 25.0, "exact")
    n1 = small_doc.numbers[0]
    assert (n1.lower, n1.lower_inclusive, n1.upper) == (12.0, True, None)


def test_non_ascii_offsets_are_code_points():
    tly = SMALL_TLY.replace("a market", "a market near Ta’ang “stalls” 🙂")
    doc = compile_ok(tly)
    for n in doc.numbers:
        assert doc.text[n.span.start:n.span.end] == n.span.text
    assert compile_ok(decompile(doc)) == doc


@pytest.mark.parametrize(("broken", "message"), [
    (SMALL_TLY.replace("[killed]{e2}", "[killed{e2}"), "never closed"),
    (SMALL_TLY.replace("[killed]{e2}", "killed]{e2}"), "without an opening"),
    (SMALL_TLY.replace("[killed]{e2}", "[killed] e2"), "not followed by"),
    (SMALL_TLY.replace("[killed]{e2}", "[killed]{e7}"), "no annotation line"),
    (SMALL_TLY.replace("[Nine]{n4}", "Nine"), "has no span"),
    (SMALL_TLY.replace("number n3 25 exact", "number n3 twenty exact"), "not a number"),
    (SMALL_TLY.replace("event e5 INJURY fact=reported", "event e5 INJURY fact=reported color=red"),
     "unknown key"),
    (SMALL_TLY.replace("rel n4 part_of n2", "relate n4 part_of n2"), "unknown line type"),
    (SMALL_TLY.replace("genre: wire", "genre: [wire"), "invalid YAML"),
    (SMALL_TLY.replace("[Nine]{n4}", "[Nine]{n4} [again]{n4}"), "marks two spans"),
])
def test_compile_errors_name_line_and_field(broken, message):
    doc, problems = compile_text(broken, "x.tly")
    assert doc is None
    assert any(message in p.message for p in problems), [str(p) for p in problems]
    assert all(p.file == "x.tly" for p in problems)
    assert any(p.line is not None for p in problems)


def test_trailing_comments_are_allowed_in_annotation_lines(small_doc):
    tly = SMALL_TLY.replace("time t1 2024-05-12", "time t1 2024-05-12  # the dateline")
    assert compile_ok(tly) == small_doc


def test_a_failed_line_does_not_cascade():
    _, problems = compile_text(SMALL_TLY.replace("number n4 9 exact", "number n4 nine exact"))
    assert [p.field for p in problems] == ["value"]


def test_crossing_spans_cannot_be_decompiled(small_doc):
    from tally.schema.diagnostics import TallyError

    n = small_doc.numbers[0]
    crossing = Span(start=n.span.start + 3, end=n.span.end + 5,
                    text=small_doc.text[n.span.start + 3:n.span.end + 5])
    ev = small_doc.events[0].model_copy(update={"source": crossing, "factuality": "reported"})
    doc = small_doc.model_copy(update={"events": [ev, *small_doc.events[1:]]})
    with pytest.raises(TallyError, match="cross"):
        decompile(doc)


# -- property-based: arbitrary texts and laminar span families round-trip ---------------------
_ALPHABET = st.sampled_from(list("ab c\n[]{}\\-’“🙂\r\t") + ["---", "\n---\n", "\\-"])


@st.composite
def documents(draw) -> Document:
    text = "H" + "".join(draw(st.lists(_ALPHABET, min_size=0, max_size=40)))
    n = len(text)
    raw = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(1, n)), max_size=8))
    spans: list[tuple[int, int]] = []
    for s, e in raw:
        if e <= s:
            continue
        # keep the family laminar: nested or disjoint with everything kept so far
        if all(e2 <= s or e <= s2 or (s2 <= s and e <= e2) or (s <= s2 and e2 <= e)
               for s2, e2 in spans):
            spans.append((s, e))
    nl = text.find("\n")
    head_end = nl if nl > 0 else n
    numbers = [
        NumberMention(id=f"n{i}", span=Span(start=s, end=e, text=text[s:e]), value=1.0,
                      lower=1.0, upper=1.0, qualifier="exact", kind="other")
        for i, (s, e) in enumerate(spans)
    ]
    from tally.schema.validate import sha256_text

    return Document(
        id="prop", headline=Span(start=0, end=head_end, text=text[:head_end]),
        dateline={"date": "2024-01-01"}, text=text, text_sha256=sha256_text(text), genre="wire",
        country="X", conflict="X", story="x", license="CC-BY-4.0",
        provenance={"method": "test"}, numbers=numbers)


@settings(max_examples=300, deadline=None)
@given(documents())
def test_round_trip_property(doc):
    assert compile_ok(decompile(doc)) == doc

