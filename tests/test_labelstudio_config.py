"""The Label Studio config is generated from the ontology and the models: nothing is missing."""

from __future__ import annotations

from xml.etree import ElementTree as ET

from tally.schema.labelstudio import config as C
from tally.schema.labelstudio.config import label_config
from tally.schema.models import (
    CountedClass,
    Factuality,
    NumberKind,
    Qualifier,
    RelationType,
    Scope,
    TimeMod,
)
from tally.schema.ontology import load_ontology, parse_ontology


def _values(root: ET.Element, tag: str, name: str | None = None) -> set[str]:
    out = set()
    for ctl in root.iter(tag):
        if name is None or ctl.get("name") == name:
            out |= {c.get("value") for c in ctl}
    return out


def test_every_type_role_and_attribute_value_is_in_the_config():
    onto = load_ontology()
    root = ET.fromstring(label_config())
    assert _values(root, "Labels", C.TRIGGER) == set(onto.event_types)
    assert _values(root, "Labels", C.SPAN) == {"Argument", "Source", "Number", "Time"}
    rels = _values(root, "Relations")
    assert set(onto.roles) <= rels  # argument roles and counted roles
    assert {r.value for r in RelationType} <= rels
    assert {"source", "time", "coref"} <= rels
    for name, enum in [("factuality", Factuality), ("qualifier", Qualifier),
                       ("kind", NumberKind), ("counted_class", CountedClass), ("scope", Scope),
                       ("time_mod", TimeMod)]:
        assert _values(root, "Choices", name) == {m.value for m in enum}, name
    areas = {t.get("name") for t in root.iter("TextArea")}
    assert areas == {"implicit", "value", "bounds", "unit", "time_value"}
    for ctl in [*root.iter("Choices"), *root.iter("TextArea")]:
        assert ctl.get("perRegion") == "true" and ctl.get("toName") == C.TEXT
    names = [e.get("name") for e in root.iter() if e.get("name")]
    assert len(names) == len(set(names)), "control names must be unique"


def test_adding_a_type_to_the_ontology_is_enough():
    from importlib.resources import files

    import yaml

    raw = yaml.safe_load(files("tally.schema").joinpath("ontology.yaml").read_text("utf-8"))
    raw["roles"]["hostage"] = "People held to force a concession."
    raw["event_types"]["HOSTAGE_TAKING"] = {
        "definition": "People are taken hostage.", "roles": ["agent", "hostage", "place"],
        "countable": ["hostage"], "acled": None, "plover": None, "ace": None}
    root = ET.fromstring(label_config(parse_ontology(raw)))
    assert "HOSTAGE_TAKING" in _values(root, "Labels", C.TRIGGER)
    assert "hostage" in _values(root, "Relations")


def test_config_command_prints_the_xml():
    from typer.testing import CliRunner

    from tally.cli import app

    res = CliRunner().invoke(app, ["labelstudio", "config"])
    assert res.exit_code == 0, res.output
    assert ET.fromstring(res.stdout).tag == "View"
