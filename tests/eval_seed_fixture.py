"""The hand-made prediction for the seed article (eval/METRICS.md, "The seed article by hand").

Built at run time from the hydrated gold, so no article text is stored in the repository.
"""

from __future__ import annotations

from pathlib import Path

from tally.schema.models import Document, Prediction, Span

ROOT = Path(__file__).resolve().parents[1]
SEED_GOLD = ROOT / "data" / "seed" / "efe-myanmar-2023-11-17.jsonl"
SEED_TEXT_DIR = ROOT.parent / "shared" / "seed"


def _span(text: str, needle: str, after: int = 0) -> Span:
    s = text.index(needle, after)
    return Span(start=s, end=s + len(needle), text=needle)


def as_prediction(doc: Document) -> Prediction:
    return Prediction(id=doc.id, events=doc.events, numbers=doc.numbers, times=doc.times,
                      relations=doc.relations)


def seed_prediction(gold: Document) -> Prediction:
    """Gold with the seven changes P1..P7 of METRICS.md."""
    text = gold.text
    assert text is not None
    ev = {e.id: e for e in gold.events}
    events = []
    for e in gold.events:
        if e.id == "e24":  # P3 wrong source
            e = e.model_copy(update={"source": _span(text, "Humanitarian organizations")})
        elif e.id == "e21":  # P5 type confusion
            e = e.model_copy(update={"type": "ATTACK"})
        elif e.id == "e12":  # P6 boundary error: "leave" instead of "leave their ranks"
            t = e.trigger
            e = e.model_copy(update={"trigger": Span(start=t.start, end=t.start + 5,
                                                     text=t.text[:5])})
        elif e.id == "e17":  # P7 factuality
            e = e.model_copy(update={"factuality": "planned"})
        elif e.id == "e16":  # P7 coreference: split off the offensive cluster
            e = e.model_copy(update={"coref": "e16"})
        events.append(e)
    # P4 an extra event on "violence" in the last paragraph.
    last = ev["e28"].trigger.end
    events.append(ev["e28"].model_copy(update={
        "id": "e29", "type": "ATTACK", "trigger": _span(text, "violence", last), "arguments": [],
        "coref": "e29", "time": None}))
    numbers = []
    for n in gold.numbers:
        if n.id == "n6":  # P1 missing desertion count
            continue
        if n.id == "n5":  # P2 wrong qualifier: "over 200" as approximate 200
            n = n.model_copy(update={"qualifier": "approximate", "lower": 200.0,
                                     "lower_inclusive": True, "upper": 200.0,
                                     "upper_inclusive": True})
        numbers.append(n)
    rels = [r for r in gold.relations if "n6" not in (r.source, r.target)]
    return Prediction(id=gold.id, events=events, numbers=numbers, times=gold.times,
                      relations=rels)
