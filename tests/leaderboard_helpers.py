"""Gold and two example submissions for the leaderboard tests, made by running real systems.

Gold: twelve small invented reports (train 4, dev 4, test 4) compiled from the authoring format;
each carries made-up place names so the hidden-gold tests can scan outputs for gold strings.

Example submissions: the project's `rules` and `linear` baselines (tally.baselines), trained on
the train split above and run on dev and test. Their output is scored; no score is typed in.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

from tally.baselines import predict, train_system
from tally.schema.authoring import compile_text
from tally.schema.jsonl import write_jsonl
from tally.schema.models import Document

_TEMPLATE = """---
id: @ID@
dateline: {place: @PLACE@, date: 2024-05-@DD2@}
genre: wire
country: Ukraine
conflict: Russia-Ukraine war
story: story-@ID@
license: CC-BY-4.0
provenance: {method: written_for_tally, writer: test suite, created: 2026-11-24}
---
[[@QH@@A@]{n1} civilians]{e2.victim} [killed]{e2} in [shelling]{e1} of [@PLACE@]{e1.place}

@PLACE@, [May @DD@]{t1} — [Russian forces]{e1.agent} [shelled]{e3} a market near \
[@PLACE@ station]{e3.place}, [[@QB@@A@]{n2} civilians]{e4.victim} [died]{e4} and \
[[@B@]{n3} people]{e5.victim} were [wounded]{e5}, [@GOV@]{e4.source e5.source} said. \
[@C@]{n4} of the dead were women.@EXTRA@
---
event e1 SHELLING_MISSILE time=t1
event e2 DEATH
event e3 SHELLING_MISSILE coref=e1
event e4 DEATH fact=reported coref=e2
event e5 INJURY fact=reported
number n1 @A@ @Q@ event_count e2.victim class=civilians
number n2 @A@ @Q@ event_count e4.victim class=civilians
number n3 @B@ exact event_count e5.victim class=people
number n4 @C@ exact event_count e4.victim class=civilians
time t1 2024-05-@DD2@
rel n2 restates n1
rel n4 part_of n2
@EXTRA_ANN@"""

# Qualifier phrases (headline, body) and the qualifier they give n1 and n2.
_QUALIFIERS = {"at_least": ("At least ", "at least "), "approximate": ("About ", "about "),
               "exact": ("", "")}
# An optional last sentence with one more event and count.
_EXTRA = (" [[@D@]{n5} soldiers]{e6.victim} were also [killed]{e6} in [fighting]{e7} nearby.",
          "event e6 DEATH\nevent e7 ARMED_CLASH\n"
          "number n5 @D@ exact event_count e6.victim class=combatants\n")


# (id, place, governor phrase, A, B, C, day, qualifier of A, D or 0 for no extra sentence):
# places are invented, so any occurrence of them in an output can only be a leak.
_DOCS = {
    "train": [
        ("lbtrain-1", "Vyshnivka", "the Vyshnivka district head", 9, 14, 2, 3, "at_least", 5),
        ("lbtrain-2", "Dovhoruky", "medics in Dovhoruky", 11, 20, 6, 5, "exact", 0),
        ("lbtrain-3", "Zhuravets", "the Zhuravets prosecutor", 26, 44, 12, 7, "approximate", 0),
        ("lbtrain-4", "Mostyshche", "rescuers in Mostyshche", 8, 31, 5, 9, "at_least", 7),
    ],
    "dev": [
        ("lbdev-1", "Zorvakhiv", "the Zorvakhiv regional governor", 12, 25, 9, 12, "at_least", 0),
        ("lbdev-2", "Kelmyrets", "officials in Kelmyrets", 30, 41, 11, 14, "approximate", 6),
        ("lbdev-3", "Ostrivna", "the mayor of Ostrivna", 7, 19, 3, 15, "exact", 0),
        ("lbdev-4", "Hlibokyi Yar", "police in Hlibokyi Yar", 40, 52, 16, 17, "at_least", 3),
    ],
    "test": [
        ("lbtest-1", "Pravodolyn", "the Pravodolyn military administration", 15, 60, 8, 16,
         "at_least", 4),
        ("lbtest-2", "Yarvenka", "emergency services in Yarvenka", 22, 35, 10, 18, "exact", 0),
        ("lbtest-3", "Brushtyn", "the Brushtyn city council", 5, 13, 4, 20, "approximate", 2),
        ("lbtest-4", "Semenivtsi", "a Semenivtsi hospital", 18, 27, 7, 21, "at_least", 0),
    ],
}


def gold_docs(split: str) -> list[Document]:
    out = []
    for doc_id, place, gov, a, b, c, dd, qual, d in _DOCS[split]:
        extra, extra_ann = _EXTRA if d else ("", "")
        tly = (_TEMPLATE.replace("@EXTRA@", extra).replace("@EXTRA_ANN@", extra_ann)
               .replace("@QH@", _QUALIFIERS[qual][0]).replace("@QB@", _QUALIFIERS[qual][1])
               .replace("@Q@", qual).replace("@ID@", doc_id).replace("@PLACE@", place)
               .replace("@GOV@", gov).replace("@A@", str(a)).replace("@B@", str(b))
               .replace("@C@", str(c)).replace("@D@", str(d)).replace("@DD2@", f"{dd:02d}")
               .replace("@DD@", str(dd)))
        doc, problems = compile_text(tly)
        assert doc is not None and not [p for p in problems if p.severity == "error"], problems
        out.append(doc)
    return out


def write_gold(folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for split in ("dev", "test"):
        paths[split] = folder / f"{split}.jsonl"
        write_jsonl(paths[split], gold_docs(split), overwrite=True)
    return paths


# ------------------------------------------------------------------ example systems

SYSTEMS = {
    "linear-baseline": ("linear", {
        "system": "Linear baseline", "authors": ["Tally maintainers"], "date": "2026-11-24",
        "code_url": "https://example.org/tally/baselines", "external_data": False, "llm": None,
        "description": "tally.baselines linear (scikit-learn), trained on the fixture's train."}),
    "rules-baseline": ("rules", {
        "system": "Rules baseline", "authors": ["Tally maintainers"], "date": "2026-11-24",
        "paper_url": "https://example.org/tally/rules", "external_data": False, "llm": None,
        "description": "tally.baselines rules: lexicon triggers and number patterns."}),
}


@cache
def _model(baseline: str):
    return train_system(baseline, gold_docs("train"), seed=0)


def write_submission(root: Path, name: str, splits=("dev", "test"),
                     meta: dict | None = None) -> Path:
    """Run a baseline over the gold splits and write its submission folder."""
    baseline, default_meta = SYSTEMS[name]
    folder = root / name
    folder.mkdir(parents=True, exist_ok=True)
    for split in splits:
        write_jsonl(folder / f"{split}.jsonl", predict(_model(baseline), gold_docs(split)),
                    overwrite=True)
    (folder / "metadata.yaml").write_text(yaml.safe_dump(meta or default_meta, sort_keys=False),
                                          encoding="utf-8")
    return folder


def all_gold_strings() -> list[str]:
    """Every annotated span text of the gold, for leak scans (headline, triggers, arguments,
    sources, numbers, times)."""
    out = set()
    for split in _DOCS:
        for d in gold_docs(split):
            out.add(d.headline.text)
            for e in d.events:
                out.add(e.trigger.text)
                out.update(a.text for a in e.arguments)
                if e.source:
                    out.add(e.source.text)
            out.update(n.span.text for n in d.numbers)
            out.update(t.span.text for t in d.times)
    return sorted(out)
