"""GUIDELINES.md and FORMAT.md cannot drift from the ontology, the models and the authoring code."""

from __future__ import annotations

import json
import re

import pytest

from tally.schema.authoring import compile_text, decompile
from tally.schema.jsonl import iter_json_lines
from tally.schema.models import (
    CountedClass,
    Document,
    Factuality,
    NumberKind,
    Prediction,
    Qualifier,
    RelationType,
    Scope,
    TimeMod,
)
from tally.schema.numerals import NUMBER_WORDS
from tally.schema.ontology import load_ontology
from tally.schema.validate import DocumentChecker

from .conftest import ROOT, SEED_JSONL

GUIDELINES = (ROOT / "schema" / "GUIDELINES.md").read_text(encoding="utf-8")
FORMAT = (ROOT / "schema" / "FORMAT.md").read_text(encoding="utf-8")
ONTO = load_ontology()


def _section(text: str, heading: str) -> str:
    """The body of the markdown section whose heading line starts with `heading`."""
    m = re.search(rf"^(#+) {re.escape(heading)}.*$", text, re.M)
    assert m, f"no section {heading!r}"
    level = len(m.group(1))
    nxt = re.compile(rf"^#{{1,{level}}} ", re.M).search(text, m.end())
    return text[m.end():nxt.start() if nxt else len(text)]


def _blocks(text: str, lang: str) -> list[str]:
    return re.findall(rf"^```{lang}\n(.*?)^```$", text, re.M | re.S)


# -- GUIDELINES.md ------------------------------------------------------------------------------
def test_every_event_type_has_a_section_and_no_other():
    types_section = _section(GUIDELINES, "2. Event types")
    headings = re.findall(r"^### ([A-Z_]+)$", types_section, re.M)
    assert headings == list(ONTO.event_types)


@pytest.mark.parametrize("name", list(ONTO.event_types))
def test_event_type_section_has_roles_examples_and_hard_cases(name):
    body = _section(GUIDELINES, name)
    et = ONTO.event_types[name]
    assert et.definition.split(" (")[0].rstrip(".") in " ".join(body.split())
    roles_line = re.search(r"^\*\*Roles:\*\* (.*)$", body, re.M)
    assert roles_line, f"{name}: no **Roles:** line"
    listed = re.findall(r"([a-z_]+)( \(countable\))?", roles_line.group(1).split(" (no ")[0])
    assert {r for r, _ in listed} == set(et.roles)
    assert {r for r, c in listed if c} == set(et.countable)
    assert len(re.findall(r"^- Yes: ", body, re.M)) >= 2
    assert len(re.findall(r"^- No: ", body, re.M)) >= 1
    assert "Hard cases." in body, f"{name}: no hard cases"


def test_vague_magnitude_table_matches_the_ontology():
    rows = dict(re.findall(r"^\| ([a-z ]+) \| (\d+ \| \[\d+, \d+\)) \|$", GUIDELINES, re.M))
    assert set(rows) == set(ONTO.vague_magnitudes)
    for word, vm in ONTO.vague_magnitudes.items():
        assert rows[word] == f"{vm.value:.0f} | [{vm.lower:.0f}, {vm.upper:.0f})", word


@pytest.mark.parametrize("enum", [Qualifier, NumberKind, CountedClass, Scope, Factuality,
                                  RelationType, TimeMod])
def test_every_value_of_the_enums_is_documented(enum):
    for member in enum:
        assert f"`{member.value}`" in GUIDELINES, f"GUIDELINES.md lacks `{member.value}`"
        assert f"`{member.value}`" in FORMAT or member.value in FORMAT, member.value


def test_numeral_word_list_mirrors_numerals_py():
    m = re.search(r"every \*\*number word\*\*, case-insensitive, as a whole word: (.*?)\.\n\n",
                  GUIDELINES, re.S)
    assert m
    assert m.group(1).split() == NUMBER_WORDS


def test_worked_example_covers_every_seed_annotation():
    _, obj, _ = next(iter_json_lines(SEED_JSONL))
    seed = Document.model_validate(obj)
    worked = _section(GUIDELINES, "9. Worked example")
    ids = [e.id for e in seed.events] + [n.id for n in seed.numbers] + [t.id for t in seed.times]
    missing = [i for i in ids if not re.search(rf"\b{i}\b", worked)]
    assert not missing


def test_no_placeholder_left():
    assert "PLACEHOLDER" not in GUIDELINES and "PLACEHOLDER" not in FORMAT


# -- FORMAT.md ----------------------------------------------------------------------------------
TLY_BLOCKS = _blocks(FORMAT, "tly")


@pytest.mark.parametrize("block", TLY_BLOCKS, ids=lambda b: re.search(r"id: (\S+)", b).group(1))
def test_format_examples_compile_validate_and_round_trip(block):
    doc, problems = compile_text(block + "\n")
    assert not problems, "\n".join(map(str, problems))
    errors = [p for p in DocumentChecker().check(doc, "FORMAT.md", None) if p.severity == "error"]
    assert not errors, "\n".join(map(str, errors))
    again, problems = compile_text(decompile(doc))
    assert not problems and again == doc


def test_format_examples_show_every_line_type_and_key():
    ann = "\n".join(b.split("\n---\n")[-1] for b in TLY_BLOCKS)
    lines = [ln.split() for ln in ann.splitlines() if ln.strip()]
    heads = {toks[0] for toks in lines}
    assert {"event", "number", "time", "rel", "#"} <= heads
    keys = {t.split("=")[0] for toks in lines for t in toks if "=" in t}
    assert {"fact", "time", "coref", "implicit", "class", "scope", "bounds", "unit", "mod"} <= keys
    facts = {t.split("=")[1] for toks in lines for t in toks if t.startswith("fact=")}
    assert facts == {f.value for f in Factuality} - {"asserted"}
    implicit = [t for toks in lines for t in toks if t.startswith("implicit=")]
    assert {len(t.split(":")) for t in implicit} == {3, 4}
    rels = {toks[2] for toks in lines if toks[0] == "rel"}
    assert rels == {r.value for r in RelationType}
    quals = {toks[3] for toks in lines if toks[0] == "number"}
    assert quals == {q.value for q in Qualifier}
    body = "\n".join(TLY_BLOCKS)
    for label in ("{headline}", ".source", "\\[", "\\{", "\\\\", "\\---"):
        assert label in body, label


def test_format_example_record_is_the_compiled_example():
    doc, problems = compile_text(TLY_BLOCKS[0] + "\n")
    assert not problems
    record = json.loads(_blocks(FORMAT, "json")[0])
    assert Document.model_validate(record) == doc


def test_format_prediction_example_parses():
    pred = json.loads(_blocks(FORMAT, "json")[1])
    Prediction.model_validate(pred)


def test_format_documents_every_document_field():
    for field in Document.model_fields:
        assert f"`{field}`" in FORMAT, field


def test_validation_rules_are_named_and_unique():
    rules = re.findall(r"^- \*\*([a-z-]+)\*\*", _section(FORMAT, "6. Validation rules"), re.M)
    assert len(rules) >= 30 and len(rules) == len(set(rules))
