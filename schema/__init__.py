"""The Tally ontology, canonical data model, validator and authoring format."""

from tally.schema.models import (
    FORMAT_VERSION,
    Argument,
    Document,
    EventMention,
    NumberMention,
    NumberRelation,
    Prediction,
    Span,
    TimeExpression,
)
from tally.schema.ontology import Ontology, load_ontology

__all__ = [
    "FORMAT_VERSION",
    "Argument",
    "Document",
    "EventMention",
    "NumberMention",
    "NumberRelation",
    "Ontology",
    "Prediction",
    "Span",
    "TimeExpression",
    "load_ontology",
]
