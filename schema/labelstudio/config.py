"""The Label Studio labeling config (XML), generated from the ontology and the data model.

Nothing here is hand-kept: every event type, role and enumeration value comes from
`ontology.yaml` or `schema/models.py`, so adding a type to the ontology is enough.

Layout (names are the `from_name` of Label Studio results; `convert.py` reads the same names):

- `trigger` (Labels): one label per event type, for event triggers;
- `span` (Labels): `Argument`, `Source`, `Number`, `Time`;
- `link` (Relations): argument roles (event -> Argument), `source` (event -> Source),
  `time` (event -> Time), `coref` (mention -> the mention whose id is the cluster id),
  counted roles (Number -> event), and `part_of` / `restates` / `conflicts_with` (Number -> Number);
- per-region attributes, shown when a region of the right kind is selected:
  events `factuality`, `implicit`; numbers `value`, `qualifier`, `kind`, `bounds`, `unit`,
  `counted_class`, `scope`; times `time_value`, `time_mod`.
"""

from __future__ import annotations

from xml.etree import ElementTree as ET

from tally.schema.models import (
    CountedClass,
    Factuality,
    NumberKind,
    Qualifier,
    RelationType,
    Scope,
    TimeMod,
)
from tally.schema.ontology import Ontology, load_ontology

GUIDELINES = "schema/GUIDELINES.md"

TEXT = "text"
TRIGGER = "trigger"
SPAN = "span"
LINK = "link"
ARGUMENT, SOURCE, NUMBER, TIME = "Argument", "Source", "Number", "Time"
SPAN_LABELS = (ARGUMENT, SOURCE, NUMBER, TIME)
SOURCE_REL, TIME_REL, COREF_REL = "source", "time", "coref"

# Per-region attributes: name -> (region kind, tag, choices or None). Choices come from models.
EVENT_CHOICES = {"factuality": Factuality}
NUMBER_CHOICES = {"qualifier": Qualifier, "kind": NumberKind, "counted_class": CountedClass,
                  "scope": Scope}
TIME_CHOICES = {"time_mod": TimeMod}
EVENT_TEXT = ("implicit",)
NUMBER_TEXT = ("value", "bounds", "unit")
TIME_TEXT = ("time_value",)

_HINTS = {
    "implicit": "Counts given without a numeral, one per line: ROLE:CLASS:VALUE[:SCOPE]",
    "value": "Best point value, a plain number (200000, 2.5)",
    "bounds": "Only when not implied by the qualifier: [A,B], (A,B], [A,) ...",
    "unit": "Unit for money, distance, duration, supplies (USD, km, tonnes)",
    "time_value": "ISO 8601: 2023-11-12, 2023-W46, 2023-10, 2021, P20D",
}
_COLORS = {ARGUMENT: "#8ecae6", SOURCE: "#b5e48c", NUMBER: "#ffb703", TIME: "#cdb4db"}


def relation_labels(onto: Ontology | None = None) -> list[str]:
    onto = onto or load_ontology()
    return [*onto.roles, SOURCE_REL, TIME_REL, COREF_REL, *(r.value for r in RelationType)]


def _per_region(parent: ET.Element, when_tag: str, when_label: str | None, title: str,
                choices: dict, texts: tuple[str, ...]) -> None:
    attrs = {"visibleWhen": "region-selected", "whenTagName": when_tag}
    if when_label:
        attrs["whenLabelValue"] = when_label
    view = ET.SubElement(parent, "View", attrs)
    ET.SubElement(view, "Header", {"value": title, "size": "5"})
    for name, enum in choices.items():
        ET.SubElement(view, "Header", {"value": name, "size": "6"})
        ch = ET.SubElement(view, "Choices", {"name": name, "toName": TEXT, "perRegion": "true",
                                             "choice": "single", "showInline": "true"})
        for member in enum:
            ET.SubElement(ch, "Choice", {"value": member.value})
    for name in texts:
        ET.SubElement(view, "Header", {"value": name, "size": "6"})
        ET.SubElement(view, "TextArea", {"name": name, "toName": TEXT, "perRegion": "true",
                                         "editable": "true", "maxSubmissions": "1",
                                         "rows": "1", "placeholder": _HINTS[name]})


def label_config(onto: Ontology | None = None) -> str:
    """The labeling config XML for the ontology (the shipped one by default)."""
    onto = onto or load_ontology()
    root = ET.Element("View")
    ET.SubElement(root, "Header", {"value": "Tally: events and numbers in conflict news"})
    trig = ET.SubElement(root, "Labels", {"name": TRIGGER, "toName": TEXT, "choice": "single"})
    for name, et in onto.event_types.items():
        ET.SubElement(trig, "Label", {"value": name, "hint": et.definition,
                                      "background": "#e76f51"})
    span = ET.SubElement(root, "Labels", {"name": SPAN, "toName": TEXT, "choice": "single"})
    for name in SPAN_LABELS:
        ET.SubElement(span, "Label", {"value": name, "background": _COLORS[name]})
    ET.SubElement(root, "Text", {"name": TEXT, "value": "$text", "granularity": "symbol"})
    rels = ET.SubElement(root, "Relations", {"choice": "single"})
    for name in relation_labels(onto):
        ET.SubElement(rels, "Relation", {"value": name})
    _per_region(root, TRIGGER, None, "Event", EVENT_CHOICES, EVENT_TEXT)
    _per_region(root, SPAN, NUMBER, "Number", NUMBER_CHOICES, NUMBER_TEXT)
    _per_region(root, SPAN, TIME, "Time", TIME_CHOICES, TIME_TEXT)
    ET.indent(root, space="  ")
    return ET.tostring(root, encoding="unicode") + "\n"


def project_description(onto: Ontology | None = None, guidelines_url: str | None = None) -> str:
    """The project's description in Label Studio, pointing annotators to the guidelines."""
    onto = onto or load_ontology()
    where = guidelines_url or f"{GUIDELINES} in the Tally repository"
    return (f"Tally annotation (ontology {onto.version}). Guidelines: {where}. Label triggers "
            "with their event type; link arguments, sources, times and coreferent mentions from "
            "the trigger; link event counts from the number to the event with the counted role.")


def instructions_html(onto: Ontology | None = None, guidelines_url: str | None = None) -> str:
    """The labeling interface's instructions: the guidelines link and every event type."""
    from html import escape

    onto = onto or load_ontology()
    link = (f'<a href="{escape(guidelines_url)}">{GUIDELINES}</a>' if guidelines_url
            else f"{GUIDELINES} (in the Tally repository)")
    items = "".join(f"<li><b>{name}</b>: {escape(et.definition)} Roles: "
                    f"{', '.join(et.roles)}.</li>" for name, et in onto.event_types.items())
    return (f"<p>Annotate with the Tally guidelines: {link}.</p>"
            f"<p>{escape(project_description(onto, guidelines_url))}</p><ul>{items}</ul>")
