"""Shared fixtures: paths, the seed article (hydrated when ../shared/seed exists), a small doc."""

from __future__ import annotations

from pathlib import Path

import pytest

from tally.schema.authoring import compile_text
from tally.schema.models import Document

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
SEED_DIR = ROOT.parent / "shared" / "seed"
SEED_JSONL = DATA / "seed" / "efe-myanmar-2023-11-17.jsonl"
# `--text-dir` for commands over data/: only where the seed text exists (CI has ../shared/seed);
# elsewhere the seed validates unhydrated, with a warning.
TEXT_DIR_ARGS = ["--text-dir", str(SEED_DIR)] if SEED_DIR.is_dir() else []

# A small invented document in the authoring format; every rule test mutates its compiled form.
SMALL_TLY = """---
id: test-001
dateline: {place: Kharkiv, date: 2024-05-12}
genre: wire
country: Ukraine
conflict: Russia-Ukraine war
story: test-story
license: CC-BY-4.0
provenance: {method: written_for_tally, writer: test suite, created: 2026-11-24}
---
[[At least 12]{n1} civilians]{e2.victim} [killed]{e2} in [shelling]{e1} of [Kharkiv]{e1.place}

KHARKIV, [May 12]{t1} — [Russian forces]{e1.agent} [shelled]{e3} a market, [[at least 12]{n2} \
civilians]{e4.victim} [died]{e4} and [[twenty-five]{n3} people]{e5.victim} were [wounded]{e5}, \
[the regional governor]{e4.source e5.source} said. [Nine]{n4} of the dead were women.
---
event e1 SHELLING_MISSILE time=t1
event e2 DEATH
event e3 SHELLING_MISSILE coref=e1
event e4 DEATH fact=reported coref=e2
event e5 INJURY fact=reported
number n1 12 at_least event_count e2.victim class=civilians
number n2 12 at_least event_count e4.victim class=civilians
number n3 25 exact event_count e5.victim class=people
number n4 9 exact event_count e4.victim class=civilians
time t1 2024-05-12
rel n2 restates n1
rel n4 part_of n2
"""


def compile_ok(tly: str) -> Document:
    doc, problems = compile_text(tly)
    assert not problems, "\n".join(map(str, problems))
    assert doc is not None
    return doc


@pytest.fixture
def small_doc() -> Document:
    return compile_ok(SMALL_TLY)


@pytest.fixture
def seed_doc() -> Document:
    """The seed article, hydrated from ../shared/seed (skipped, saying why, where it is absent)."""
    from tally.schema.hydrate import hydrate_document
    from tally.schema.jsonl import iter_json_lines

    if not (SEED_DIR / "efe-myanmar-2023-11-17.txt").is_file():
        pytest.skip(f"seed text not found in {SEED_DIR}: it is not redistributed with Tally")
    _, obj, _ = next(iter_json_lines(SEED_JSONL))
    doc, why = hydrate_document(Document.model_validate(obj), [SEED_DIR])
    assert why is None, why
    return doc
