"""TextEE / OneIE JSONL export: what survives (types, triggers, arguments) against the canonical
data, and what sentence windows lose."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from tally.baselines.tokens import tokenize
from tally.schema.exports.textee import to_textee
from tests.labelstudio_docs import corpus_docs, unicode_doc


def _chars(tok, start, end):
    """Token offsets of a document window back to character offsets."""
    return tok.starts[start], tok.ends[end - 1]


def test_document_windows_keep_every_trigger_and_argument():
    docs = [unicode_doc(), *corpus_docs()]
    rows, stats = to_textee(docs)
    assert stats.dropped == 0 and len(rows) == len(docs)
    for doc, inst in zip(docs, rows, strict=True):
        tok = tokenize(doc.text)
        assert set(inst) == {"doc_id", "wnd_id", "text", "lang", "tokens", "entity_mentions",
                             "relation_mentions", "event_mentions"}
        ents = {e["id"]: e for e in inst["entity_mentions"]}
        got = []
        for em in inst["event_mentions"]:
            s, e = _chars(tok, em["trigger"]["start"], em["trigger"]["end"])
            args = sorted((a["role"], _chars(tok, a["start"], a["end"]))
                          for a in em["arguments"])
            for a in em["arguments"]:
                assert ents[a["entity_id"]]["start"] == a["start"]
            got.append((em["event_type"], (s, e), args))
        want = [(ev.type, (ev.trigger.start, ev.trigger.end),
                 sorted((a.role, (a.start, a.end)) for a in ev.arguments)) for ev in doc.events]
        assert got == want, doc.id
        types = [e["entity_type"] for e in inst["entity_mentions"]]
        assert types.count("NUMBER") == len({(n.span.start, n.span.end) for n in doc.numbers})


def test_sentence_windows_drop_only_cross_sentence_arguments():
    docs = corpus_docs()[:60]
    rows, stats = to_textee(docs, window="sentence")
    n_args = sum(len(ev.arguments) for d in docs for ev in d.events)
    kept = sum(len(em["arguments"]) for r in rows for em in r["event_mentions"])
    assert kept + stats.dropped == n_args and stats.dropped == len(stats.notes)
    assert sum(len(r["event_mentions"]) for r in rows) == sum(len(d.events) for d in docs)
    for r in rows:
        for em in r["event_mentions"]:
            assert 0 <= em["trigger"]["start"] < em["trigger"]["end"] <= len(r["tokens"])
            assert em["trigger"]["text"].startswith(r["tokens"][em["trigger"]["start"]])


def test_export_command_writes_jsonl(tmp_path):
    from tally.cli import app
    from tally.schema.jsonl import write_jsonl

    src = tmp_path / "d.jsonl"
    write_jsonl(src, [unicode_doc()])
    out = tmp_path / "d.textee.jsonl"
    res = CliRunner().invoke(app, ["export", str(src), "--to", "textee", "-o", str(out)])
    assert res.exit_code == 0, res.output
    (row,) = [json.loads(x) for x in out.read_text("utf-8").splitlines()]
    assert row["doc_id"] == "ls-unicode-001" and "Ta’ang" in row["text"]
    res = CliRunner().invoke(app, ["export", str(src), "--to", "xml", "-o", str(out)])
    assert res.exit_code == 1 and "expected one of conll, textee, brat" in res.output
