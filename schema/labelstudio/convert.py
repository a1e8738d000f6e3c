"""Canonical layers <-> Label Studio results, both directions.

`layers_to_results` writes a document's (or a prediction's) events, numbers, times and relations
as Label Studio result items; region ids are the Tally ids (arguments and sources get
`<event>-a<k>` and `<event>-src`). `results_to_document` reads result items back into a
`Document`, checks what Label Studio does not (labels, offsets, the text at the offsets,
attribute values, relation ends) and reports every problem with task, annotation and region id;
a region that cannot be placed is reported, never dropped silently. Offsets are Python `str`
(code point) indices on both sides.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from tally.schema.authoring import _BOUNDS, _fmt, default_bounds
from tally.schema.diagnostics import Problem
from tally.schema.jsonl import parse_model
from tally.schema.labelstudio import config as C
from tally.schema.models import Document, NumberMention, Prediction, RelationType
from tally.schema.ontology import Ontology, load_ontology
from tally.schema.validate import DocumentChecker, sha256_text

_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")
_NUMBER_RELS = {r.value for r in RelationType}
_ATTR_NAMES = {*C.EVENT_CHOICES, *C.NUMBER_CHOICES, *C.TIME_CHOICES,
               *C.EVENT_TEXT, *C.NUMBER_TEXT, *C.TIME_TEXT}
_CHOICE_ENUMS = {**C.EVENT_CHOICES, **C.NUMBER_CHOICES, **C.TIME_CHOICES}
_ATTR_KIND = {**dict.fromkeys([*C.EVENT_CHOICES, *C.EVENT_TEXT], "event"),
              **dict.fromkeys([*C.NUMBER_CHOICES, *C.NUMBER_TEXT], C.NUMBER),
              **dict.fromkeys([*C.TIME_CHOICES, *C.TIME_TEXT], C.TIME)}
META_KEY = "tally"


# -- canonical -> Label Studio --------------------------------------------------------------
def _region(rid: str, control: str, label: str, span) -> dict:
    return {"id": rid, "from_name": control, "to_name": C.TEXT, "type": "labels",
            "value": {"start": span.start, "end": span.end, "text": span.text,
                      "labels": [label]}}


def _attr(rid: str, name: str, span, value: str) -> dict:
    base = {"start": span.start, "end": span.end}
    if name in _CHOICE_ENUMS:
        return {"id": rid, "from_name": name, "to_name": C.TEXT, "type": "choices",
                "value": {**base, "text": span.text, "choices": [value]}}
    return {"id": rid, "from_name": name, "to_name": C.TEXT, "type": "textarea",
            "value": {**base, "text": [value]}}


def _rel(src: str, dst: str, label: str) -> dict:
    return {"from_id": src, "to_id": dst, "type": "relation", "direction": "right",
            "labels": [label]}


def _bounds_text(n: NumberMention) -> str | None:
    """The interval, only when the qualifier does not imply these bounds."""
    try:
        if default_bounds(n.value, n.qualifier) == (n.lower, n.lower_inclusive, n.upper,
                                                    n.upper_inclusive):
            return None
    except KeyError:
        pass
    lo = "" if n.lower is None else _fmt(n.lower)
    hi = "" if n.upper is None else _fmt(n.upper)
    return f"{'[' if n.lower_inclusive else '('}{lo},{hi}{']' if n.upper_inclusive else ')'}"


def layers_to_results(doc: Document | Prediction) -> list[dict]:
    """Label Studio result items for every annotation of `doc` (regions first, then links)."""
    out: list[dict] = []
    links: list[dict] = []
    for ev in doc.events:
        out.append(_region(ev.id, C.TRIGGER, ev.type, ev.trigger))
        out.append(_attr(ev.id, "factuality", ev.trigger, ev.factuality))
        if ev.implicit_counts:
            lines = [f"{ic.role}:{ic.counted_class}:{ic.value}:{ic.scope}"
                     for ic in ev.implicit_counts]
            out.append(_attr(ev.id, "implicit", ev.trigger, "\n".join(lines)))
        for k, arg in enumerate(ev.arguments):
            rid = f"{ev.id}-a{k}"
            out.append(_region(rid, C.SPAN, C.ARGUMENT, arg))
            links.append(_rel(ev.id, rid, arg.role))
        if ev.source is not None:
            out.append(_region(f"{ev.id}-src", C.SPAN, C.SOURCE, ev.source))
            links.append(_rel(ev.id, f"{ev.id}-src", C.SOURCE_REL))
        if ev.time is not None:
            links.append(_rel(ev.id, ev.time, C.TIME_REL))
        if ev.coref != ev.id:
            links.append(_rel(ev.id, ev.coref, C.COREF_REL))
    for n in doc.numbers:
        out.append(_region(n.id, C.SPAN, C.NUMBER, n.span))
        out.append(_attr(n.id, "value", n.span, _fmt(n.value)))
        out.append(_attr(n.id, "qualifier", n.span, n.qualifier))
        out.append(_attr(n.id, "kind", n.span, n.kind))
        bounds = _bounds_text(n)
        if bounds is not None:
            out.append(_attr(n.id, "bounds", n.span, bounds))
        if n.unit is not None:
            out.append(_attr(n.id, "unit", n.span, n.unit))
        if n.counted_class is not None:
            out.append(_attr(n.id, "counted_class", n.span, n.counted_class))
        if n.scope is not None:
            out.append(_attr(n.id, "scope", n.span, n.scope))
        if n.event is not None and n.counted_role is not None:
            links.append(_rel(n.id, n.event, n.counted_role))
    for t in doc.times:
        out.append(_region(t.id, C.SPAN, C.TIME, t.span))
        out.append(_attr(t.id, "time_value", t.span, t.value))
        if t.mod is not None:
            out.append(_attr(t.id, "time_mod", t.span, t.mod))
    for r in doc.relations:
        links.append(_rel(r.source, r.target, r.type))
    return out + links


def document_meta(doc: Document) -> dict:
    """Everything of a document but its text and annotation layers (kept in the task data)."""
    return doc.model_dump(mode="json", exclude={"text", "events", "numbers", "times",
                                                "relations"})


# -- Label Studio -> canonical --------------------------------------------------------------
@dataclass
class Where:
    """Where a result list comes from, for problem messages."""

    file: str
    task_id: object = None
    annotation_id: object = None
    doc_id: str | None = None
    problems: list[Problem] = field(default_factory=list)

    def err(self, region: object, msg: str, expected: str | None = None,
            severity: str = "error") -> None:
        loc = f"task {self.task_id} annotation {self.annotation_id}"
        if region is not None:
            loc += f" region {region}"
        self.problems.append(Problem(self.file, None, self.doc_id, loc, msg, expected,
                                     severity=severity))


@dataclass
class _Region:
    rid: str
    kind: str  # "event" or one of C.SPAN_LABELS
    label: str
    start: int
    end: int
    text: str

    def span(self) -> dict:
        return {"start": self.start, "end": self.end, "text": self.text}


def _region_of(item: dict, text: str, w: Where, onto: Ontology) -> _Region | None:
    rid, control = item.get("id"), item.get("from_name")
    value = item.get("value") if isinstance(item.get("value"), dict) else {}
    labels = value.get("labels")
    if not isinstance(labels, list) or len(labels) != 1:
        w.err(rid, f"region has labels {labels!r}", "exactly one label")
        return None
    label = labels[0]
    allowed = onto.type_names if control == C.TRIGGER else list(C.SPAN_LABELS)
    if label not in allowed:
        w.err(rid, f"unknown label {label!r} in {control!r}", f"one of {allowed}")
        return None
    start, end, stext = value.get("start"), value.get("end"), value.get("text")
    if not isinstance(start, int) or not isinstance(end, int) or isinstance(start, bool):
        w.err(rid, f"offsets {start!r}:{end!r} are not integers", "integer start and end")
        return None
    if not 0 <= start < end <= len(text):
        w.err(rid, f"offsets {start}:{end} outside the text or empty",
              f"0 <= start < end <= {len(text)}")
        return None
    if stext != text[start:end]:
        w.err(rid, f"region text {stext!r} differs from the text at {start}:{end}, "
              f"{text[start:end]!r}", "the text at the region's offsets")
        return None
    kind = "event" if control == C.TRIGGER else label
    return _Region(str(rid), kind, label, start, end, stext)


def _attribute(item: dict, w: Where) -> tuple[str, str, str] | None:
    rid, name = item.get("id"), item.get("from_name")
    value = item.get("value") if isinstance(item.get("value"), dict) else {}
    if name in _CHOICE_ENUMS:
        ch = value.get("choices")
        allowed = [m.value for m in _CHOICE_ENUMS[name]]
        if not isinstance(ch, list) or len(ch) != 1 or ch[0] not in allowed:
            w.err(rid, f"{name} is {ch!r}", f"one of {allowed}")
            return None
        return str(rid), name, ch[0]
    txt = value.get("text")
    if isinstance(txt, str):
        txt = [txt]
    if not isinstance(txt, list) or not all(isinstance(t, str) for t in txt):
        w.err(rid, f"{name} is {txt!r}", "text")
        return None
    return str(rid), name, "\n".join(txt).strip()


def _assign_ids(regions: list[_Region]) -> dict[str, str]:
    """Keep region ids that are valid Tally ids; number the others e<k>, n<k>, t<k>."""
    prefix = {"event": "e", C.NUMBER: "n", C.TIME: "t"}
    named = [r for r in regions if r.kind in prefix]
    taken = {r.rid for r in named if _ID.match(r.rid) and len(r.rid) <= 64}
    out: dict[str, str] = {}
    counter: dict[str, int] = defaultdict(int)
    for r in named:
        if r.rid in taken and r.rid not in out.values():
            out[r.rid] = r.rid
            continue
        p = prefix[r.kind]
        while True:
            counter[p] += 1
            cand = f"{p}{counter[p]}"
            if cand not in taken and cand not in out.values():
                break
        out[r.rid] = cand
    return out


def _parse_number(a: dict[str, str], rid: str, w: Where) -> dict | None:
    for key in ("value", "qualifier", "kind"):
        if not a.get(key):
            w.err(rid, f"number has no {key}", f"the {key} attribute")
    if not (a.get("value") and a.get("qualifier") and a.get("kind")):
        return None
    try:
        value = float(a["value"])
    except ValueError:
        w.err(rid, f"value {a['value']!r} is not a number", "a plain number, e.g. 200000")
        return None
    num: dict = {"value": value, "qualifier": a["qualifier"], "kind": a["kind"]}
    if a.get("bounds"):
        m = _BOUNDS.match(a["bounds"])
        try:
            lo = float(m.group(2)) if m and m.group(2) else None
            hi = float(m.group(3)) if m and m.group(3) else None
        except ValueError:
            m = None
        if not m:
            w.err(rid, f"bounds {a['bounds']!r}", "an interval like [20,25], [12,100), (200,]")
            return None
        num.update(lower=lo, lower_inclusive=m.group(1) == "[", upper=hi,
                   upper_inclusive=m.group(4) == "]")
    else:
        try:
            lo, li, hi, ui = default_bounds(value, a["qualifier"])
        except KeyError:
            w.err(rid, f"no bounds given and none implied by {a['qualifier']} {_fmt(value)}",
                  "the bounds attribute for ranges and vague values outside the table")
            return None
        num.update(lower=lo, lower_inclusive=li, upper=hi, upper_inclusive=ui)
    for key in ("unit", "counted_class", "scope"):
        if a.get(key):
            num[key] = a[key]
    return num


def _parse_implicit(textval: str, rid: str, w: Where) -> list[dict]:
    out = []
    for line in textval.splitlines():
        if not line.strip():
            continue
        parts = line.strip().split(":")
        if len(parts) not in (3, 4) or not parts[2].isdigit():
            w.err(rid, f"implicit count {line!r}",
                  "ROLE:CLASS:VALUE[:SCOPE], e.g. victim:civilians:1")
            continue
        ic = {"role": parts[0], "counted_class": parts[1], "value": int(parts[2])}
        if len(parts) == 4:
            ic["scope"] = parts[3]
        out.append(ic)
    return out


def _time(value: str) -> dict:
    if value.startswith("P"):
        return {"type": "duration", "value": value, "precision": None}
    return {"type": "date", "value": value,
            "precision": {10: "day", 8: "week", 7: "month", 4: "year"}.get(len(value))}


def results_to_layers(text: str, results: list, w: Where,
                      onto: Ontology | None = None) -> tuple[dict, dict[str, str]]:
    """The four annotation layers read from result items, and for each layer path
    (`events[0]`, `events[0].arguments[1]`, `numbers[2]`...) the region id it came from."""
    onto = onto or load_ontology()
    regions: dict[str, _Region] = {}
    order: list[_Region] = []
    attrs: dict[str, dict[str, str]] = defaultdict(dict)
    rels: list[tuple[str, str, str]] = []
    for item in results if isinstance(results, list) else []:
        if not isinstance(item, dict):
            w.err(None, f"result item {item!r} is not an object", "a result object")
            continue
        if item.get("type") == "relation":
            labels = item.get("labels") or []
            if not labels:
                w.err(f"{item.get('from_id')}->{item.get('to_id')}", "relation without a label",
                      f"one of {C.relation_labels(onto)}")
            for lab in labels:
                rels.append((str(item.get("from_id")), str(item.get("to_id")), lab))
            continue
        control = item.get("from_name")
        if control in (C.TRIGGER, C.SPAN):
            reg = _region_of(item, text, w, onto)
            if reg is None:
                continue
            if reg.rid in regions:
                w.err(reg.rid, "two regions share this id", "unique region ids")
                continue
            regions[reg.rid] = reg
            order.append(reg)
        elif control in _ATTR_NAMES:
            got = _attribute(item, w)
            if got:
                attrs[got[0]][got[1]] = got[2]
        else:
            w.err(item.get("id"), f"unknown control {control!r}",
                  f"one of {[C.TRIGGER, C.SPAN, *sorted(_ATTR_NAMES)]}")
    for rid, a in attrs.items():
        reg = regions.get(rid)
        for name in a:
            if reg is None:
                w.err(rid, f"attribute {name} of a region that is not in the annotation",
                      "a labelled region with this id")
            elif _ATTR_KIND[name] != reg.kind:
                w.err(rid, f"attribute {name} on a {reg.label} region",
                      f"{name} only on {_ATTR_KIND[name]} regions")

    ids = _assign_ids(order)
    args: dict[str, list[tuple[str, _Region]]] = defaultdict(list)
    source: dict[str, _Region] = {}
    time_of: dict[str, str] = {}
    coref_edges: dict[str, list[str]] = defaultdict(list)
    count_link: dict[str, tuple[str, str]] = {}
    num_rels: list[dict] = []
    linked: set[str] = set()
    roles = set(onto.roles)
    for src, dst, lab in rels:
        where = f"{src}->{dst}"
        a, b = regions.get(src), regions.get(dst)
        if a is None or b is None:
            missing = src if a is None else dst
            w.err(where, f"relation {lab!r} ends at {missing!r}, not a region of the annotation",
                  "both ends labelled regions")
            continue
        kinds = (a.kind, b.kind)
        if lab in roles and kinds[0] == "event" and kinds[1] in (C.ARGUMENT, C.SOURCE):
            args[src].append((lab, b))
            linked.add(dst)
        elif lab in roles and kinds == (C.NUMBER, "event"):
            if src in count_link:
                w.err(where, f"number {src} already counts {count_link[src]}",
                      "one counted event per number")
            count_link[src] = (ids[dst], lab)
        elif lab == C.SOURCE_REL and kinds[0] == "event" and kinds[1] in (C.ARGUMENT, C.SOURCE):
            if src in source:
                w.err(where, f"event {src} has two sources", "at most one source per event")
            source[src] = b
            linked.add(dst)
        elif lab == C.TIME_REL and kinds == ("event", C.TIME):
            if src in time_of:
                w.err(where, f"event {src} has two times", "at most one time per event")
            time_of[src] = ids[dst]
        elif lab == C.COREF_REL and kinds == ("event", "event"):
            coref_edges[src].append(dst)
        elif lab in _NUMBER_RELS and kinds == (C.NUMBER, C.NUMBER):
            num_rels.append({"type": lab, "source": ids[src], "target": ids[dst]})
        else:
            w.err(where, f"relation {lab!r} from a {a.label} region to a {b.label} region",
                  "event -> Argument/Source (role, source), event -> Time (time), "
                  "event -> event (coref), Number -> event (counted role), "
                  "Number -> Number (part_of, restates, conflicts_with)")
    for r in order:
        if r.kind in (C.ARGUMENT, C.SOURCE) and r.rid not in linked:
            w.err(r.rid, f"{r.label} region {r.text!r} is not linked from any event",
                  "a role or source relation from an event trigger to it")

    coref = _coref([r for r in order if r.kind == "event"], coref_edges, ids, w)
    layers: dict = {"events": [], "numbers": [], "times": [], "relations": num_rels}
    origin: dict[str, str] = {}
    for r in order:
        a = attrs.get(r.rid, {})
        if r.kind == "event":
            i = len(layers["events"])
            origin[f"events[{i}]"] = r.rid
            ev: dict = {"id": ids[r.rid], "type": r.label, "trigger": r.span(),
                        "factuality": a.get("factuality", "asserted"), "coref": coref[r.rid],
                        "time": time_of.get(r.rid), "arguments": [], "implicit_counts": []}
            for j, (role, reg) in enumerate(args.get(r.rid, [])):
                ev["arguments"].append({**reg.span(), "role": role})
                origin[f"events[{i}].arguments[{j}]"] = reg.rid
            if r.rid in source:
                ev["source"] = source[r.rid].span()
                origin[f"events[{i}].source"] = source[r.rid].rid
            if a.get("implicit"):
                ev["implicit_counts"] = _parse_implicit(a["implicit"], r.rid, w)
            layers["events"].append(ev)
        elif r.kind == C.NUMBER:
            num = _parse_number(a, r.rid, w)
            if num is None:
                continue
            origin[f"numbers[{len(layers['numbers'])}]"] = r.rid
            num.update(id=ids[r.rid], span=r.span())
            if r.rid in count_link:
                num["event"], num["counted_role"] = count_link[r.rid]
            layers["numbers"].append(num)
        elif r.kind == C.TIME:
            if not a.get("time_value"):
                w.err(r.rid, "time has no time_value", "an ISO 8601 value, e.g. 2023-11-12")
                continue
            origin[f"times[{len(layers['times'])}]"] = r.rid
            layers["times"].append({"id": ids[r.rid], "span": r.span(), **_time(a["time_value"]),
                                    "mod": a.get("time_mod")})
    for k, rel in enumerate(num_rels):
        origin[f"relations[{k}]"] = f"{rel['source']}->{rel['target']}"
    return layers, origin


def _coref(events: list[_Region], edges: dict[str, list[str]], ids: dict[str, str],
           w: Where) -> dict[str, str]:
    """Cluster id per event: the mention its coref link points to (own id without a link),
    exactly as the canonical `coref` field, so the conversion is lossless."""
    out = {}
    for r in events:
        outs = edges.get(r.rid, [])
        if len(outs) > 1:
            w.err(r.rid, f"coref links to {outs}", "one coref link per mention (to the first "
                  "mention of the event)")
        out[r.rid] = ids[outs[0]] if outs else ids[r.rid]
        if outs and edges.get(outs[0]):
            w.err(r.rid, f"coref chain {r.rid} -> {outs[0]} -> {edges[outs[0]][0]}: the two "
                  "mentions get different cluster ids", "links to the cluster's first mention",
                  severity="warning")
    return out


def _locate(fld: str, origin: dict[str, str]) -> str | None:
    best = None
    for path, rid in origin.items():
        if (fld == path or fld.startswith(path + ".") or fld.startswith(path + "[")) and (
                best is None or len(path) > len(best[0])):
            best = (path, rid)
    return best[1] if best else None


def results_to_document(meta: dict, text: str, results: list, w: Where,
                        checker: DocumentChecker | None = None) -> Document | None:
    """A validated `Document` from task metadata, text and result items; problems go to `w`
    (each with the region it came from). None when the document cannot be built."""
    checker = checker or DocumentChecker()
    w.doc_id = meta.get("id") if isinstance(meta.get("id"), str) else w.doc_id
    layers, origin = results_to_layers(text, results, w, checker.onto)
    if meta.get("text_sha256") not in (None, sha256_text(text)):
        w.err(None, "the task's text differs from the document it was made from",
              "the text as pushed (text_sha256 in the task's tally data)")
    obj = {**meta, "text": text, "text_sha256": sha256_text(text), **layers}
    doc, probs = parse_model(Document, obj, Path(w.file), None)
    for p in probs + (checker.check(doc, w.file, None) if doc is not None else []):
        rid = _locate(p.field, origin)
        loc = f"task {w.task_id} annotation {w.annotation_id}"
        if rid is not None:
            loc += f" region {rid}"
        w.problems.append(Problem(w.file, None, w.doc_id, f"{loc}: {p.field}", p.message,
                                  p.expected, p.severity))
    return doc
