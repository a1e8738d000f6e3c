"""JSON Schemas generated from the data model; the shipped files are tested to stay in sync."""

from __future__ import annotations

import json
from importlib.resources import files

from tally.schema.models import Document, Prediction

SCHEMAS = {"document.schema.json": Document, "prediction.schema.json": Prediction}


def generate(name: str) -> str:
    model = SCHEMAS[name]
    schema = model.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"https://tally-bench.org/schema/{name}"
    return json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def shipped(name: str) -> str:
    return files("tally.schema").joinpath(name).read_text(encoding="utf-8")
