"""The ontology and the shipped JSON Schemas agree with the code."""

from __future__ import annotations

import json

import jsonschema
import yaml

from tally.schema.jsonschema import SCHEMAS, generate, shipped
from tally.schema.models import CountedClass, NumberKind, Qualifier
from tally.schema.ontology import load_ontology, parse_ontology


def test_shipped_json_schemas_are_generated_from_the_models():
    for name in SCHEMAS:
        assert shipped(name) == generate(name), (
            f"schema/{name} is stale: run `tally jsonschema --out schema/`")


def test_documents_validate_against_the_json_schema(small_doc):
    schema = json.loads(shipped("document.schema.json"))
    jsonschema.validate(small_doc.model_dump(mode="json"), schema)


def test_ontology_inventory_and_crosswalks():
    onto = load_ontology()
    assert len(onto.event_types) == 29
    for name, et in onto.event_types.items():
        assert et.definition and et.roles, name
        assert set(et.countable) <= set(et.roles), name
        assert et.acled is not None or et.plover is not None or et.ace is not None or name in (
            "DEATH", "INJURY"), f"{name} maps to nothing"
    for generic in ("agent", "victim", "place", "instrument", "origin", "destination"):
        assert generic in onto.roles


def test_ontology_rejects_an_unknown_role():
    import importlib.resources as r

    import pytest

    raw = yaml.safe_load(r.files("tally.schema").joinpath("ontology.yaml").read_text())
    raw["event_types"]["DEATH"]["roles"].append("mood")
    with pytest.raises(ValueError, match="unknown roles"):
        parse_ontology(raw)


def test_vague_table_is_consistent():
    for word, vm in load_ontology().vague_magnitudes.items():
        assert vm.lower <= vm.value < vm.upper, word


def test_enums_cover_the_issue_inventory():
    assert {q.value for q in Qualifier} == {"exact", "approximate", "at_least", "more_than",
                                            "at_most", "less_than", "range", "vague"}
    assert {"event_count", "date", "duration", "distance", "money", "age", "percentage",
            "ordinal", "identifier", "other"} == {k.value for k in NumberKind}
    assert {"combatants", "civilians", "people", "places", "households"} <= {
        c.value for c in CountedClass}
