"""Typed access to `ontology.yaml`: event types, roles, countable roles, crosswalks."""

from __future__ import annotations

from functools import cache
from importlib.resources import files

import yaml
from pydantic import BaseModel, ConfigDict


class PloverCode(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    type: str
    mode: str | None = None


class EventType(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str
    definition: str
    roles: tuple[str, ...]
    countable: tuple[str, ...]
    acled: str | None
    plover: PloverCode | None
    ace: str | None


class VagueMagnitude(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    value: float
    lower: float
    upper: float


class Ontology(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    version: str
    roles: dict[str, str]
    event_types: dict[str, EventType]
    vague_magnitudes: dict[str, VagueMagnitude]

    def event_type(self, name: str) -> EventType:
        return self.event_types[name]

    @property
    def type_names(self) -> list[str]:
        return list(self.event_types)


def parse_ontology(raw: dict) -> Ontology:
    """Build an `Ontology` from the YAML mapping, checking every role a type names exists."""
    types = {}
    for name, body in raw["event_types"].items():
        et = EventType(name=name, **body)
        unknown = [r for r in (*et.roles, *et.countable) if r not in raw["roles"]]
        if unknown:
            raise ValueError(f"event type {name}: unknown roles {unknown}")
        if not set(et.countable) <= set(et.roles):
            raise ValueError(f"event type {name}: countable roles must be among its roles")
        types[name] = et
    return Ontology(
        version=str(raw["version"]),
        roles=raw["roles"],
        event_types=types,
        vague_magnitudes=raw["vague_magnitudes"],
    )


@cache
def load_ontology() -> Ontology:
    """The ontology shipped with the package (read once)."""
    text = files("tally.schema").joinpath("ontology.yaml").read_text(encoding="utf-8")
    return parse_ontology(yaml.safe_load(text))
