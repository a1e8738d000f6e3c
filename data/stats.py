"""Corpus statistics: the figures the dataset card and issue targets are stated in."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from pathlib import Path

from tally.schema.models import Document
from tally.schema.numerals import NUMBER_WORDS

_WORD_NUMBER = re.compile(rf"\b(?:{'|'.join(NUMBER_WORDS)}|one|a dozen)\b", re.IGNORECASE)


def split_of(file: str) -> str:
    """The split a file holds, from its name (train.jsonl -> train); other files by stem."""
    return Path(file).stem


def corpus_stats(docs: list[tuple[str, Document]]) -> dict:
    """Counts by split, type, role, qualifier, kind, genre, country and more (JSON-ready)."""
    c: dict[str, Counter] = defaultdict(Counter)
    words = []
    for file, d in docs:
        split = split_of(file)
        c["documents_by_split"][split] += 1
        c["genre"][d.genre] += 1
        c["country"][d.country] += 1
        c["conflict"][d.conflict] += 1
        if d.unseen_conflict:
            c["unseen_conflict_documents"][split] += 1
        if d.text is not None:
            words.append(len(d.text.split()))
        else:
            c["not_hydrated"][split] += 1
        has_count = False
        for ev in d.events:
            c["event_mentions_by_split"][split] += 1
            c["event_type"][ev.type] += 1
            if split == "train":
                c["event_type_train"][ev.type] += 1
            c["factuality"][ev.factuality] += 1
            c["attributed"]["with_source" if ev.source else "writer"] += 1
            for a in ev.arguments:
                c["role"][a.role] += 1
            for ic in ev.implicit_counts:
                c["implicit_counts"][ic.role] += 1
                has_count = True
        c["event_clusters"]["total"] += len({ev.coref for ev in d.events})
        for n in d.numbers:
            c["numbers_by_split"][split] += 1
            c["qualifier"][n.qualifier] += 1
            c["kind"][n.kind] += 1
            if n.kind == "event_count":
                has_count = True
                c["counted_role"][n.counted_role] += 1
                c["counted_class"][n.counted_class] += 1
                c["scope"][n.scope] += 1
            if _WORD_NUMBER.search(n.span.text):
                c["number_form"]["word"] += 1
            else:
                c["number_form"]["digits"] += 1
            if d.headline.start <= n.span.start and n.span.end <= d.headline.end:
                c["numbers_in_headlines"]["total"] += 1
        for r in d.relations:
            c["relation"][r.type] += 1
        c["times"]["total"] += len(d.times)
        if not has_count:
            c["documents_without_event_count"][split] += 1
    out: dict = {k: dict(sorted(v.items(), key=lambda kv: (-kv[1], str(kv[0]))))
                 for k, v in c.items()}
    out["totals"] = {
        "documents": len(docs),
        "event_mentions": sum(c["event_mentions_by_split"].values()),
        "numbers": sum(c["numbers_by_split"].values()),
        "event_counts": c["kind"].get("event_count", 0),
        "countries": len(c["country"]),
        "conflicts": len(c["conflict"]),
        "genres": len(c["genre"]),
    }
    if words:
        out["length_words"] = {"min": min(words), "max": max(words),
                               "mean": round(sum(words) / len(words), 1)}
    return out
