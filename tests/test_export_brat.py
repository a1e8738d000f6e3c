"""BRAT standoff export: read back, every annotation layer survives (ids aside)."""

from __future__ import annotations

from typer.testing import CliRunner

from tally.schema.exports.brat import read_ann, write_brat
from tests.labelstudio_docs import corpus_docs, unicode_doc


def _from_brat(ann: dict) -> dict:
    """The annotation layers rebuilt from a parsed .ann, keyed by offsets instead of ids."""
    T = ann["T"]
    span = {k: (v[1], v[2]) for k, v in T.items()}
    attrs = {(a[1], a[0]): a[2] for a in ann["A"]}
    rel = {}
    for rtype, a1, a2 in ann["R"]:
        rel.setdefault((rtype, a1), []).append(a2)
    events = []
    for e, (etype, trig, args) in ann["E"].items():
        events.append((etype, span[trig], attrs[(e, "Factuality")],
                       sorted((role.rstrip("0123456789"), span[t]) for role, t in args),
                       [span[t] for t in rel.get(("Source", trig), [])],
                       [ann["#"][t] for t in rel.get(("Time", trig), [])]))
    numbers = []
    for t, (ttype, s, e, _) in T.items():
        if ttype == "Number":
            link = [(r[0][len("Count-"):], span[r[2]]) for r in ann["R"]
                    if r[0].startswith("Count-") and r[1] == t]
            numbers.append(((s, e), attrs[(t, "Qualifier")], attrs[(t, "Kind")],
                            attrs.get((t, "CountedClass")), attrs.get((t, "Scope")),
                            ann["#"][t], link))
    relations = sorted((r[0], span[r[1]], span[r[2]]) for r in ann["R"]
                       if r[0] in ("part_of", "restates", "conflicts_with"))
    clusters = sorted(sorted(span[t] for t in members) for members in ann["*"])
    return {"events": events, "numbers": sorted(numbers), "relations": relations,
            "clusters": clusters}


def _fmt(v):
    return str(int(v)) if float(v).is_integer() else repr(v)


def _from_doc(doc) -> dict:
    times = {t.id: t for t in doc.times}
    events = [(ev.type, (ev.trigger.start, ev.trigger.end), ev.factuality,
               sorted((a.role, (a.start, a.end)) for a in ev.arguments),
               [(ev.source.start, ev.source.end)] if ev.source else [],
               [f"value={times[ev.time].value}"] if ev.time else []) for ev in doc.events]
    trig = {ev.id: (ev.trigger.start, ev.trigger.end) for ev in doc.events}
    numbers = []
    for n in doc.numbers:
        lo = "" if n.lower is None else _fmt(n.lower)
        hi = "" if n.upper is None else _fmt(n.upper)
        note = (f"value={_fmt(n.value)} bounds={'[' if n.lower_inclusive else '('}{lo},{hi}"
                f"{']' if n.upper_inclusive else ')'}" + (f" unit={n.unit}" if n.unit else ""))
        link = [(n.counted_role, trig[n.event])] if n.event else []
        numbers.append(((n.span.start, n.span.end), n.qualifier, n.kind, n.counted_class,
                        n.scope, note, link))
    nspan = {n.id: (n.span.start, n.span.end) for n in doc.numbers}
    relations = sorted((r.type, nspan[r.source], nspan[r.target]) for r in doc.relations)
    groups: dict = {}
    for ev in doc.events:
        groups.setdefault(ev.coref, set()).add(trig[ev.id])
    clusters = sorted(sorted(g) for g in groups.values() if len(g) > 1)
    return {"events": events, "numbers": sorted(numbers), "relations": relations,
            "clusters": clusters}


def test_brat_reads_back_to_the_canonical_annotations(tmp_path):
    docs = [unicode_doc(), *corpus_docs()]
    write_brat(docs, tmp_path)
    assert (tmp_path / "annotation.conf").exists()
    for doc in docs:
        # The .txt is the text byte for byte, so BRAT's code-point offsets are ours.
        assert (tmp_path / f"{doc.id}.txt").read_bytes() == doc.text.encode("utf-8")
        ann = read_ann((tmp_path / f"{doc.id}.ann").read_text("utf-8"))
        for _, s, e, text in ann["T"].values():
            assert doc.text[s:e].replace("\n", " ") == text
        assert _from_brat(ann) == _from_doc(doc), doc.id


def test_export_command_writes_brat_folder(tmp_path):
    from tally.cli import app
    from tally.schema.jsonl import write_jsonl

    src = tmp_path / "d.jsonl"
    write_jsonl(src, [unicode_doc()])
    res = CliRunner().invoke(app, ["export", str(src), "--to", "brat", "-o",
                                   str(tmp_path / "brat")])
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in (tmp_path / "brat").iterdir()) == [
        "annotation.conf", "ls-unicode-001.ann", "ls-unicode-001.txt"]
