"""TextEE / OneIE-style JSONL: one instance per document (or per sentence), token offsets.

    {"doc_id", "wnd_id", "text", "lang", "tokens",
     "entity_mentions": [{"id", "text", "entity_type", "start", "end"}],
     "relation_mentions": [],
     "event_mentions": [{"id", "event_type", "trigger": {"text", "start", "end"},
                         "arguments": [{"entity_id", "role", "text", "start", "end"}]}]}

`start`/`end` are token indices (end exclusive) into `tokens`, relative to the instance.
What survives: event types, triggers, arguments with roles, number and time spans (entity types
`NUMBER` and `TIME`; other argument spans `ARG`). What is lost: factuality, source, event time
links, coreference, implicit counts, number values/bounds/qualifier/kind/counted links, number
relations, time values, document metadata; and, with sentence windows, arguments outside the
trigger's sentence (counted in `ExportStats.dropped`). Spans off token boundaries are widened.
"""

from __future__ import annotations

from tally.baselines.tokens import tokenize
from tally.schema.exports.conll import ExportStats, token_span
from tally.schema.models import Document


def _windows(tok, window: str) -> list[tuple[int, int]]:
    return list(tok.sent_bounds) if window == "sentence" else [(0, len(tok))]


def document_to_textee(doc: Document, window: str = "document",
                       stats: ExportStats | None = None) -> list[dict]:
    if window not in ("document", "sentence"):
        raise ValueError(f"window {window!r}: expected document or sentence")
    stats = stats if stats is not None else ExportStats()
    if doc.text is None:
        raise ValueError(f"{doc.id}: no text (hydrate it first)")
    tok = tokenize(doc.text)
    out = []
    for w, (a, b) in enumerate(_windows(tok, window)):
        base = tok.starts[a] if a < len(tok) else 0
        text = doc.text[base:tok.ends[b - 1]] if b > a else ""
        inst = {"doc_id": doc.id, "wnd_id": f"{doc.id}_{w}", "text": text, "lang": "en",
                "tokens": tok.words[a:b], "entity_mentions": [], "relation_mentions": [],
                "event_mentions": []}
        entities: dict[tuple[int, int], dict] = {}

        def place(start: int, end: int, what: str, a=a, b=b) -> tuple[int, int] | None:
            rng = token_span(tok, start, end)
            if rng is None or rng[0] < a or rng[1] > b:
                return None
            if (tok.starts[rng[0]], tok.ends[rng[1] - 1]) != (start, end):
                stats.widened += 1
            return rng

        def entity(rng: tuple[int, int], etype: str, inst=inst, a=a,
                   entities=entities) -> dict:
            ent = entities.get(rng)
            if ent is None:
                ent = {"id": f"{inst['wnd_id']}-E{len(entities)}",
                       "text": doc.text[tok.starts[rng[0]]:tok.ends[rng[1] - 1]],
                       "entity_type": etype, "start": rng[0] - a, "end": rng[1] - a}
                entities[rng] = ent
                inst["entity_mentions"].append(ent)
            return ent

        for n in doc.numbers:
            if (rng := place(n.span.start, n.span.end, "number")) is not None:
                entity(rng, "NUMBER")
        for t in doc.times:
            if (rng := place(t.span.start, t.span.end, "time")) is not None:
                entity(rng, "TIME")
        for ev in doc.events:
            trng = place(ev.trigger.start, ev.trigger.end, "trigger")
            if trng is None:
                continue
            mention = {"id": f"{inst['wnd_id']}-{ev.id}", "event_type": ev.type,
                       "trigger": {"text": doc.text[tok.starts[trng[0]]:tok.ends[trng[1] - 1]],
                                   "start": trng[0] - a, "end": trng[1] - a},
                       "arguments": []}
            for arg in ev.arguments:
                rng = place(arg.start, arg.end, "argument")
                if rng is None:
                    stats.dropped += 1
                    stats.notes.append(f"{doc.id} {ev.id}: {arg.role} {arg.text!r} outside "
                                       "the trigger's window")
                    continue
                ent = entity(rng, "ARG")
                mention["arguments"].append({"entity_id": ent["id"], "role": arg.role,
                                             "text": ent["text"], "start": ent["start"],
                                             "end": ent["end"]})
            inst["event_mentions"].append(mention)
        out.append(inst)
    return out


def to_textee(docs: list[Document], window: str = "document") -> tuple[list[dict], ExportStats]:
    stats = ExportStats()
    out = []
    for d in docs:
        out += document_to_textee(d, window, stats)
    return out, stats
