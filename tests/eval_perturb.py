"""Perturbed predictions made from real gold documents, for tests that compare scorer paths.

Every kind of error a system makes is drawn with a seeded RNG: dropped, duplicated, shortened or
retyped events, wrong arguments, factuality, sources and coreference, dropped, duplicated and
changed numbers, lost restates links. The predictions stay valid submissions.
"""

from __future__ import annotations

import random

from tally.schema.models import Document
from tally.schema.ontology import load_ontology

PRED_FIELDS = ("format_version", "id", "events", "numbers", "times", "relations")
FACTUALITY = ("asserted", "reported", "planned", "hypothetical", "negated")


def _retype(e: dict, counted: set[str], rng: random.Random) -> None:
    """A different event type that accepts the event's roles (arguments and counted roles)."""
    onto = load_ontology()
    roles = {a["role"] for a in e.get("arguments", [])}
    need = counted | {i["role"] for i in e.get("implicit_counts", [])}
    names = sorted(onto.event_types)
    rng.shuffle(names)
    for t in names:
        et = onto.event_types[t]
        if t != e["type"] and roles <= set(et.roles) and need <= set(et.countable):
            e["type"] = t
            return


def perturb(doc: Document, rng: random.Random, rate: float = 0.15) -> dict:
    """A prediction (JSON object without text) from a gold document."""
    d = doc.model_dump(mode="json")
    text = d["text"]
    onto = load_ontology()
    dropped = {e["id"] for e in d["events"] if rng.random() < rate / 2}
    counted: dict[str, set[str]] = {}
    for n in d["numbers"]:
        if n.get("event"):
            counted.setdefault(n["event"], set()).add(n["counted_role"])
    events, extra = [], 0
    triggers = [e["trigger"] for e in d["events"]]
    for e in d["events"]:
        if e["id"] in dropped:
            continue
        if e["coref"] in dropped or rng.random() < rate / 3:
            e["coref"] = e["id"]
        t = e["trigger"]
        if t["end"] - t["start"] > 1 and rng.random() < rate:
            e["trigger"] = {"start": t["start"], "end": t["end"] - 1,
                            "text": text[t["start"]:t["end"] - 1]}
        if rng.random() < rate:
            _retype(e, counted.get(e["id"], set()), rng)
        args = []
        for a in e.get("arguments", []):
            r = rng.random()
            if r < rate / 3:
                continue
            if r < rate / 2:
                other = [x for x in onto.event_types[e["type"]].roles if x != a["role"]]
                if other:
                    a = dict(a, role=rng.choice(other))
            args.append(a)
            if rng.random() < rate / 4:
                args.append(dict(a))
        e["arguments"] = args
        if rng.random() < rate / 2:
            e["factuality"] = rng.choice(FACTUALITY)
        r = rng.random()
        if r < rate / 3:
            e["source"] = None
        elif r < rate / 2:
            e["source"] = dict(rng.choice(triggers))
        elif r < rate * 2 / 3 and e.get("source") and len(e["source"]["text"]) > 1:
            src = e["source"]  # a boundary error: same start, one character short
            e["source"] = dict(src, end=src["end"] - 1, text=src["text"][:-1])
        events.append(e)
        if rng.random() < rate / 4:
            extra += 1
            events.append(dict(e, id=f"x{extra}", coref=f"x{extra}", arguments=[],
                               implicit_counts=[], time=None))
    numbers = []
    for n in d["numbers"]:
        if rng.random() < rate / 3:
            continue
        if n.get("event") in dropped or (n.get("event") and rng.random() < rate / 3):
            n.update(event=None, counted_role=None, counted_class=None, scope=None, kind="other")
        r = rng.random()
        if n["qualifier"] in ("exact", "approximate") and r < rate:
            if r < rate / 2:
                n["qualifier"] = "approximate" if n["qualifier"] == "exact" else "exact"
            else:
                v = n["value"] * rng.choice((1.05, 2, 10))
                n.update(value=v, lower=v, upper=v)
        if n.get("event") and rng.random() < rate / 2:
            ev = next((e for e in events if e["id"] == n["event"]), None)
            if ev is not None:
                n["counted_role"] = rng.choice(onto.event_types[ev["type"]].countable)
        numbers.append(n)
        if rng.random() < rate / 4:
            extra += 1
            numbers.append(dict(n, id=f"xn{extra}"))
    kept = {n["id"] for n in numbers}
    for n in numbers:  # a retyped event may no longer count the role a number says it counts
        ev = next((e for e in events if e["id"] == n.get("event")), None)
        if ev is not None and n["counted_role"] not in onto.event_types[ev["type"]].countable:
            n["counted_role"] = onto.event_types[ev["type"]].countable[0]
    relations = [r for r in d["relations"] if r["source"] in kept and r["target"] in kept
                 and rng.random() > rate]
    pred = {k: d[k] for k in PRED_FIELDS if k in d}
    pred.update(events=events, numbers=numbers, relations=relations)
    return pred
