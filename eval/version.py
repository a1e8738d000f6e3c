"""Scorer version and the registry of metrics and matching regimes (names are part of the API)."""

from __future__ import annotations

from dataclasses import dataclass

# Bump the minor version when a figure can change for the same input; the major when the JSON
# schema of a report changes incompatibly. Leaderboards refuse to mix versions.
SCORER_VERSION = "1.0.0"
REPORT_SCHEMA = "tally-eval-report/1"
COMPARISON_SCHEMA = "tally-eval-comparison/1"

REGIMES: dict[str, str] = {
    "exact": "spans match when start and end offsets are equal",
    "overlap": "spans match when they share at least one character (one-to-one, largest overlap)",
    "token_f1": "spans match when the F1 of their word tokens (\\w+ runs) is at least 0.5",
}


@dataclass(frozen=True)
class MetricDef:
    name: str
    kind: str  # "f1" | "accuracy" | "b_cubed"
    layer: str
    title: str


METRICS: dict[str, MetricDef] = {m.name: m for m in (
    MetricDef("trigger_identification", "f1", "events", "Trigger identification (span)"),
    MetricDef("trigger_classification", "f1", "events", "Trigger classification (span + type)"),
    MetricDef("argument_identification", "f1", "arguments",
              "Argument identification (attached to a correct trigger + type)"),
    MetricDef("argument_classification", "f1", "arguments",
              "Argument classification (attached; + role)"),
    MetricDef("argument_identification_trigger_free", "f1", "arguments",
              "Argument identification, trigger-free (TextEE: event type + span)"),
    MetricDef("argument_classification_trigger_free", "f1", "arguments",
              "Argument classification, trigger-free (TextEE: event type + span + role)"),
    MetricDef("number_span", "f1", "numbers", "Number span detection"),
    MetricDef("number_value", "accuracy", "numbers", "Number value (on matched spans)"),
    MetricDef("number_bounds", "accuracy", "numbers",
              "Number bounds + qualifier (on matched spans)"),
    MetricDef("number_kind", "accuracy", "numbers", "Number kind (on matched spans)"),
    MetricDef("number_event_link", "f1", "numbers",
              "Number-to-event linking (number span, event type, counted role)"),
    MetricDef("tally_strict", "f1", "facts", "Tally F1, strict (all fields equal)"),
    MetricDef("tally_soft", "f1", "facts", "Tally F1, soft (type + role; log-interval credit)"),
    MetricDef("tally_strict_explicit", "f1", "facts",
              "Tally F1, strict, explicit numbers only (no implicit counts)"),
    MetricDef("tally_soft_explicit", "f1", "facts",
              "Tally F1, soft, explicit numbers only (no implicit counts)"),
    MetricDef("factuality", "accuracy", "events", "Factuality (on matched events)"),
    MetricDef("attribution", "accuracy", "events", "Attribution / source (on matched events)"),
    MetricDef("coreference_b3", "b_cubed", "events", "Event coreference, B-cubed (matched events)"),
)}

HEADLINE = "tally_strict"
