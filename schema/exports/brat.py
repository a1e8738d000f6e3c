"""BRAT standoff: `<id>.txt` and `<id>.ann` per document, plus an `annotation.conf`.

- `T` text-bound annotations: triggers (event type, one per event even when two events share a
  trigger), `Number`, `Time`, `Source`, `Argument` (one per distinct span and type; an argument
  on a number's span uses the `Number`);
- `E` events: `TYPE:Ttrigger role:Tn role2:Tm ...` (BRAT numbers repeated roles);
- `A` attributes: `Factuality` on events; `Qualifier`, `Kind`, `CountedClass`, `Scope` on numbers;
  `Mod` on times;
- `R` relations: `Source`, `Time` (trigger -> span), `Count-<role>` (number -> trigger),
  `part_of`, `restates`, `conflicts_with` (number -> number);
- `*` equivalences: `Coref` between the triggers of one coreference cluster;
- `#` AnnotatorNotes: number `value=.. lower=.. upper=.. unit=..` (bounds as an interval), time
  `value=..`, trigger `implicit=ROLE:CLASS:VALUE:SCOPE`.

Offsets are code points into the `.txt`, which is the document text unchanged. Lost: the document
metadata (dateline, genre, provenance...) and the Tally ids (BRAT numbers its own).
"""

from __future__ import annotations

from pathlib import Path

from tally.schema.authoring import _fmt
from tally.schema.models import Document, Factuality, Qualifier
from tally.schema.ontology import Ontology, load_ontology

SPAN_TYPES = ("Number", "Time", "Source", "Argument")


def _interval(n) -> str:
    lo = "" if n.lower is None else _fmt(n.lower)
    hi = "" if n.upper is None else _fmt(n.upper)
    return f"{'[' if n.lower_inclusive else '('}{lo},{hi}{']' if n.upper_inclusive else ')'}"


def document_to_ann(doc: Document) -> str:
    lines: list[str] = []
    tids: dict[tuple[int, int, str, str], str] = {}

    def tb(span, ttype: str, owner: str = "") -> str:
        key = (span.start, span.end, ttype, owner)
        if key not in tids:
            tids[key] = f"T{len(tids) + 1}"
            text = span.text.replace("\n", " ")
            lines.append(f"{tids[key]}\t{ttype} {span.start} {span.end}\t{text}")
        return tids[key]

    counter = {"A": 0, "R": 0, "#": 0}

    def nxt(kind: str) -> str:
        counter[kind] += 1
        return f"{kind}{counter[kind]}"

    num_t = {n.id: tb(n.span, "Number") for n in doc.numbers}
    time_t = {t.id: tb(t.span, "Time") for t in doc.times}
    num_spans = {(n.span.start, n.span.end): num_t[n.id] for n in doc.numbers}
    trig_t: dict[str, str] = {}
    ev_e: dict[str, str] = {}
    for k, ev in enumerate(doc.events, start=1):
        trig_t[ev.id] = tb(ev.trigger, ev.type, ev.id)  # one per event: links hang on it
        ev_e[ev.id] = f"E{k}"
    for ev in doc.events:
        parts = [f"{ev.type}:{trig_t[ev.id]}"]
        seen: dict[str, int] = {}
        for arg in ev.arguments:
            seen[arg.role] = seen.get(arg.role, 0) + 1
            role = arg.role if seen[arg.role] == 1 else f"{arg.role}{seen[arg.role]}"
            tid = num_spans.get((arg.start, arg.end)) or tb(arg, "Argument")
            parts.append(f"{role}:{tid}")
        e = ev_e[ev.id]
        lines.append(f"{e}\t{' '.join(parts)}")
        lines.append(f"{nxt('A')}\tFactuality {e} {ev.factuality}")
        if ev.source is not None:
            lines.append(f"{nxt('R')}\tSource Arg1:{trig_t[ev.id]} Arg2:{tb(ev.source, 'Source')}")
        if ev.time is not None and ev.time in time_t:
            lines.append(f"{nxt('R')}\tTime Arg1:{trig_t[ev.id]} Arg2:{time_t[ev.time]}")
        if ev.implicit_counts:
            imp = " ".join(f"implicit={i.role}:{i.counted_class}:{i.value}:{i.scope}"
                           for i in ev.implicit_counts)
            lines.append(f"{nxt('#')}\tAnnotatorNotes {trig_t[ev.id]}\t{imp}")
    for n in doc.numbers:
        t = num_t[n.id]
        for attr, val in (("Qualifier", n.qualifier), ("Kind", n.kind),
                          ("CountedClass", n.counted_class), ("Scope", n.scope)):
            if val is not None:
                lines.append(f"{nxt('A')}\t{attr} {t} {val}")
        note = f"value={_fmt(n.value)} bounds={_interval(n)}"
        if n.unit:
            note += f" unit={n.unit}"
        lines.append(f"{nxt('#')}\tAnnotatorNotes {t}\t{note}")
        if n.event in trig_t and n.counted_role:
            lines.append(f"{nxt('R')}\tCount-{n.counted_role} Arg1:{t} Arg2:{trig_t[n.event]}")
    for tm in doc.times:
        lines.append(f"{nxt('#')}\tAnnotatorNotes {time_t[tm.id]}\tvalue={tm.value}")
        if tm.mod:
            lines.append(f"{nxt('A')}\tMod {time_t[tm.id]} {tm.mod}")
    for r in doc.relations:
        if r.source in num_t and r.target in num_t:
            lines.append(f"{nxt('R')}\t{r.type} Arg1:{num_t[r.source]} Arg2:{num_t[r.target]}")
    clusters: dict[str, list[str]] = {}
    for ev in doc.events:
        clusters.setdefault(ev.coref, []).append(trig_t[ev.id])
    for members in clusters.values():
        uniq = list(dict.fromkeys(members))
        if len(uniq) > 1:
            lines.append(f"*\tCoref {' '.join(uniq)}")
    return "\n".join(lines) + "\n"


def annotation_conf(onto: Ontology | None = None) -> str:
    """BRAT's annotation.conf for the Tally ontology."""
    from tally.schema.models import CountedClass, NumberKind, Scope, TimeMod

    onto = onto or load_ontology()
    triggers = "<EVENT>"
    spans = "Argument|Number|Source"
    lines = ["[entities]", *SPAN_TYPES, "", "[relations]",
             f"Source\tArg1:{triggers}, Arg2:{spans}", f"Time\tArg1:{triggers}, Arg2:Time"]
    lines += [f"Count-{role}\tArg1:Number, Arg2:{triggers}" for role in onto.roles]
    lines += [f"{r}\tArg1:Number, Arg2:Number" for r in ("part_of", "restates", "conflicts_with")]
    lines += [f"Coref\tArg1:{triggers}, Arg2:{triggers}, <REL-TYPE>:symmetric-transitive",
              "", "[events]"]
    for name, et in onto.event_types.items():
        roles = ", ".join(f"{r}*:{spans}" for r in et.roles)
        lines.append(f"{name}\t{roles}")
    lines += ["", "[attributes]",
              f"Factuality\tArg:<EVENT>, Value:{'|'.join(f.value for f in Factuality)}",
              f"Qualifier\tArg:Number, Value:{'|'.join(q.value for q in Qualifier)}",
              f"Kind\tArg:Number, Value:{'|'.join(k.value for k in NumberKind)}",
              f"CountedClass\tArg:Number, Value:{'|'.join(c.value for c in CountedClass)}",
              f"Scope\tArg:Number, Value:{'|'.join(s.value for s in Scope)}",
              f"Mod\tArg:Time, Value:{'|'.join(m.value for m in TimeMod)}"]
    return "\n".join(lines) + "\n"


def write_brat(docs: list[Document], out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for d in docs:
        if d.text is None:
            raise ValueError(f"{d.id}: no text (hydrate it first)")
        # newline="" keeps the text byte-identical, so offsets stay valid.
        with (out_dir / f"{d.id}.txt").open("w", encoding="utf-8", newline="") as fh:
            fh.write(d.text)
        (out_dir / f"{d.id}.ann").write_text(document_to_ann(d), encoding="utf-8")
        written += [out_dir / f"{d.id}.txt", out_dir / f"{d.id}.ann"]
    (out_dir / "annotation.conf").write_text(annotation_conf(), encoding="utf-8")
    return written


def read_ann(text: str) -> dict:
    """A parsed `.ann`: text-bound, events, attributes, relations, equivalences and notes."""
    out: dict = {"T": {}, "E": {}, "A": [], "R": [], "*": [], "#": {}}
    for line in text.splitlines():
        if not line.strip():
            continue
        key, rest = line.split("\t", 1)
        if key.startswith("T"):
            head, span_text = rest.split("\t", 1)
            ttype, start, end = head.split(" ")
            out["T"][key] = (ttype, int(start), int(end), span_text)
        elif key.startswith("E"):
            parts = rest.split(" ")
            etype, trig = parts[0].split(":")
            args = [tuple(p.split(":")) for p in parts[1:]]
            out["E"][key] = (etype, trig, args)
        elif key.startswith("A"):
            out["A"].append(tuple(rest.split(" ")))
        elif key.startswith("R"):
            rtype, a1, a2 = rest.split(" ")
            out["R"].append((rtype, a1.split(":")[1], a2.split(":")[1]))
        elif key == "*":
            out["*"].append(rest.split(" ")[1:])
        elif key.startswith("#"):
            head, note = rest.split("\t", 1)
            out["#"][head.split(" ")[1]] = note
    return out
