"""Explicit Hugging Face `datasets.Features` for canonical documents (nested events, numbers...)."""

from __future__ import annotations

from datasets import Features, List, Value


def _span() -> dict:
    return {"start": Value("int32"), "end": Value("int32"), "text": Value("string")}


def document_features() -> Features:
    """Features of one canonical document; field for field the `Document` model."""
    span = _span()
    return Features({
        "format_version": Value("string"),
        "id": Value("string"),
        "headline": span,
        "dateline": {"place": Value("string"), "date": Value("string")},
        "text": Value("string"),
        "text_sha256": Value("string"),
        "genre": Value("string"),
        "country": Value("string"),
        "region": Value("string"),
        "conflict": Value("string"),
        "story": Value("string"),
        "unseen_conflict": Value("bool"),
        "license": Value("string"),
        "provenance": {
            "method": Value("string"), "writer": Value("string"), "annotator": Value("string"),
            "created": Value("string"), "notes": Value("string"),
            "source": {"publisher": Value("string"), "title": Value("string"),
                       "url": Value("string"), "date": Value("string"), "file": Value("string")},
        },
        "events": List({
            "id": Value("string"),
            "type": Value("string"),
            "trigger": _span(),
            "arguments": List({"role": Value("string"), **_span()}),
            "factuality": Value("string"),
            "source": _span(),
            "time": Value("string"),
            "coref": Value("string"),
            "implicit_counts": List({
                "role": Value("string"), "counted_class": Value("string"),
                "value": Value("int32"), "scope": Value("string")}),
        }),
        "numbers": List({
            "id": Value("string"),
            "span": _span(),
            "value": Value("float64"),
            "lower": Value("float64"),
            "lower_inclusive": Value("bool"),
            "upper": Value("float64"),
            "upper_inclusive": Value("bool"),
            "qualifier": Value("string"),
            "kind": Value("string"),
            "unit": Value("string"),
            "event": Value("string"),
            "counted_role": Value("string"),
            "counted_class": Value("string"),
            "scope": Value("string"),
        }),
        "times": List({
            "id": Value("string"), "span": _span(), "type": Value("string"),
            "value": Value("string"), "precision": Value("string"), "mod": Value("string"),
        }),
        "relations": List({"type": Value("string"), "source": Value("string"),
                           "target": Value("string")}),
    })
