"""Which figures of a scorer report the leaderboard shows, and where each lives in the report.

The board keeps only these aggregate figures (value and 95% bootstrap CI) from a report: never
per-document details or error listings, which could reveal hidden gold.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    help: str
    path: tuple[str, ...]  # keys into report["metrics"] leading to a {f1, ci_low, ci_high} block


COLUMNS: tuple[Column, ...] = (
    Column("tally_strict", "Tally F1", "event-count facts, strict match: the headline",
           ("tally_strict",)),
    Column("tally_soft", "Tally F1 soft", "event-count facts, type + role, log-interval credit",
           ("tally_soft",)),
    Column("trigger_classification", "Trigger F1", "trigger classification (span + type), micro",
           ("trigger_classification",)),
    Column("argument_classification", "Argument F1",
           "argument classification (role; trigger and type right), micro",
           ("argument_classification",)),
    Column("number_span", "Number F1", "number span detection", ("number_span",)),
    Column("number_event_link", "Link F1",
           "number-to-event links (number span, event type, counted role)",
           ("number_event_link",)),
)
HEADLINE = COLUMNS[0].key


def _block(metrics: dict, path: tuple[str, ...]) -> dict | None:
    node: object = metrics
    for k in path:
        if not isinstance(node, dict) or k not in node:
            return None
        node = node[k]
    if isinstance(node, dict) and "micro" in node and "f1" not in node:
        node = node["micro"]
    return node if isinstance(node, dict) else None


def extract_metrics(report: dict) -> dict[str, dict]:
    """{column key: {value, ci_low, ci_high}} for every column the report has."""
    metrics = report.get("metrics", {})
    out = {}
    for col in COLUMNS:
        b = _block(metrics, col.path)
        if b is None or b.get("f1") is None:
            continue
        out[col.key] = {"value": float(b["f1"]),
                        "ci_low": _num(b.get("ci_low")), "ci_high": _num(b.get("ci_high"))}
    return out


def _num(v: object) -> float | None:
    return float(v) if isinstance(v, int | float) else None
