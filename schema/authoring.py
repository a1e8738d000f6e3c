"""The authoring format (`.tly`): annotated articles written by hand, compiled to canonical JSONL.

A `.tly` file has three parts separated by lines that are exactly `---`:

    ---
    <YAML front matter: id, dateline, genre, country, conflict, story, license, provenance...>
    ---
    <the text, with inline markup: [span text]{label label ...}>
    ---
    <annotation lines: event / number / time / rel>

Labels: `e1` (trigger of event e1), `e1.agent` (argument), `e1.source` (who claims e1),
`n1` (number), `t1` (time expression), `headline` (defaults to the first line).
`\\[ \\] \\{ \\} \\\\` escape literal characters; `\\-` writes a `-`, used at the start of a
text line that begins with `---` so it never reads as a separator.
Offsets are computed here, never typed. schema/FORMAT.md documents every line type.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import ValidationError

from tally.schema.diagnostics import Problem, TallyError
from tally.schema.jsonl import pydantic_problems
from tally.schema.models import Document, NumberMention
from tally.schema.ontology import load_ontology
from tally.schema.validate import sha256_text

SEP = "---"
_ESCAPABLE = set("[]{}\\")
_LAYER_KEYS = ("events", "numbers", "times", "relations")
_META_SKIP = {"text", "text_sha256", "headline", "format_version", *_LAYER_KEYS}


@dataclass
class _Label:
    name: str
    start: int
    end: int
    line: int  # line in the .tly file, for errors


class _Src:
    """Error helper bound to one file."""

    def __init__(self, path: str, doc_id: str | None = None):
        self.path = path
        self.doc_id = doc_id
        self.problems: list[Problem] = []
        self.failed_ids: set[str] = set()

    def err(self, line: int | None, fld: str, msg: str, expected: str | None = None) -> None:
        self.problems.append(Problem(self.path, line, self.doc_id, fld, msg, expected))


# -- splitting the file -------------------------------------------------------------------------
def _split(raw: str, src: _Src) -> tuple[str, int, str, int, str, int] | None:
    lines = raw.split("\n")
    if not lines or lines[0] != SEP:
        src.err(1, "-", "file does not start with a '---' line", "YAML front matter between '---'")
        return None
    seps = [i for i, ln in enumerate(lines) if ln == SEP]
    if len(seps) < 3:
        src.err(len(lines), "-", f"found {len(seps)} '---' separator lines",
                "3: front matter, text, annotations")
        return None
    a, b = seps[1], seps[2]
    front = "\n".join(lines[1:a])
    body = "\n".join(lines[a + 1:b])
    ann = "\n".join(lines[b + 1:])
    return front, 2, body, a + 2, ann, b + 2


# -- inline markup ------------------------------------------------------------------------------
def _parse_markup(body: str, first_line: int, src: _Src) -> tuple[str, list[_Label]]:
    out: list[str] = []
    pos = 0  # offset in the output text
    stack: list[tuple[int, int]] = []  # (output offset, line) of open brackets
    labels: list[_Label] = []
    line = first_line
    i, n = 0, len(body)
    while i < n:
        ch = body[i]
        if ch == "\\":
            nxt = body[i + 1:i + 2]
            if nxt and (nxt in _ESCAPABLE or nxt == "-"):
                out.append(nxt)
                pos += 1
                i += 2
                continue
            src.err(line, "text", f"backslash before {nxt!r}", "one of \\[ \\] \\{ \\} \\\\")
            i += 1
            continue
        if ch == "[":
            stack.append((pos, line))
            i += 1
            continue
        if ch == "]":
            if not stack:
                src.err(line, "text", "']' without an opening '['", "balanced brackets or \\]")
                close = body.find("}", i) if body[i + 1:i + 2] == "{" else -1
                i = close + 1 if close > 0 else i + 1  # skip its label list: one error, not three
                continue
            start, _ = stack.pop()
            if body[i + 1:i + 2] != "{":
                src.err(line, "text", "']' not followed by '{labels}'",
                        "[span]{label} or an escaped \\]")
                i += 1
                continue
            close = body.find("}", i + 2)
            if close < 0:
                src.err(line, "text", "'{' without a closing '}'")
                i += 2
                continue
            names = body[i + 2:close].split()
            if not names:
                src.err(line, "text", "empty label list '{}'", "at least one label")
            if pos == start:
                src.err(line, "text", f"empty span for {names}", "a span covering some text")
            for name in names:
                labels.append(_Label(name, start, pos, line))
            i = close + 1
            continue
        if ch in "{}":
            src.err(line, "text", f"stray {ch!r}", f"an escaped \\{ch}")
            i += 1
            continue
        if ch == "\n":
            line += 1
        out.append(ch)
        pos += 1
        i += 1
    for _, ln in stack:
        src.err(ln, "text", "'[' never closed", "[span]{label}")
    return "".join(out), labels


# -- annotation lines ---------------------------------------------------------------------------
def _num(tok: str, line: int, fld: str, src: _Src) -> float | None:
    try:
        v = float(tok)
    except ValueError:
        src.err(line, fld, f"{tok!r} is not a number", "digits without separators, e.g. 200000")
        return None
    if math.isnan(v):
        src.err(line, fld, "NaN is not a value")
        return None
    return v


_BOUNDS = re.compile(r"^([\[(])\s*([^,\s]*)\s*,\s*([^\])\s]*)\s*([\])])$")


def default_bounds(value: float, qualifier: str) -> tuple[float | None, bool, float | None, bool]:
    """Bounds implied by a qualifier (GUIDELINES.md, "Numbers"); range has no default."""
    if qualifier in ("exact", "approximate"):
        return value, True, value, True
    if qualifier == "at_least":
        return value, True, None, True
    if qualifier == "more_than":
        return value, False, None, True
    if qualifier == "at_most":
        return None, True, value, True
    if qualifier == "less_than":
        return None, True, value, False
    if qualifier == "vague":
        for vm in load_ontology().vague_magnitudes.values():
            if vm.value == value:
                return vm.lower, True, vm.upper, False
    raise KeyError(qualifier)


def _fmt(v: float) -> str:
    return str(int(v)) if float(v).is_integer() and abs(v) < 1e15 else repr(v)


def _format_bounds(n: NumberMention) -> str:
    lo = "" if n.lower is None else _fmt(n.lower)
    hi = "" if n.upper is None else _fmt(n.upper)
    return f"{'[' if n.lower_inclusive else '('}{lo},{hi}{']' if n.upper_inclusive else ')'}"


def _kv(tokens: list[str], line: int, src: _Src, allowed: set[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for tok in tokens:
        if "=" not in tok:
            src.err(line, "-", f"unexpected token {tok!r}",
                    f"key=value with key in {sorted(allowed)}")
            continue
        k, v = tok.split("=", 1)
        if k not in allowed:
            src.err(line, k, f"unknown key {k!r}", f"one of {sorted(allowed)}")
            continue
        out.setdefault(k, []).append(v)
    return out


def _parse_event(toks: list[str], line: int, src: _Src) -> dict | None:
    if len(toks) < 3:
        src.err(line, "event", "event line too short", "event ID TYPE [key=value ...]")
        return None
    kv = _kv(toks[3:], line, src, {"fact", "time", "coref", "implicit"})
    ev: dict = {"id": toks[1], "type": toks[2], "arguments": [], "source": None,
                "factuality": kv.get("fact", ["asserted"])[-1],
                "time": kv.get("time", [None])[-1], "coref": kv.get("coref", [toks[1]])[-1],
                "implicit_counts": []}
    for spec in kv.get("implicit", []):
        parts = spec.split(":")
        if len(parts) not in (3, 4):
            src.err(line, "implicit", f"{spec!r}", "role:class:value[:scope]")
            continue
        v = _num(parts[2], line, "implicit", src)
        ic = {"role": parts[0], "counted_class": parts[1], "value": v}
        if len(parts) == 4:
            ic["scope"] = parts[3]
        ev["implicit_counts"].append(ic)
    return ev


def _parse_number(toks: list[str], line: int, src: _Src) -> dict | None:
    if len(toks) < 5:
        src.err(line, "number", "number line too short",
                "number ID VALUE QUALIFIER KIND [EVENT.ROLE class=.. scope=..]")
        return None
    nid, value, qual, kind = toks[1], _num(toks[2], line, "value", src), toks[3], toks[4]
    rest = toks[5:]
    link = None
    if rest and "=" not in rest[0]:
        link = rest.pop(0)
    kv = _kv(rest, line, src, {"class", "scope", "bounds", "unit"})
    if value is None:
        return None
    num: dict = {"id": nid, "value": value, "qualifier": qual, "kind": kind}
    if "bounds" in kv:
        m = _BOUNDS.match(kv["bounds"][-1])
        if not m:
            src.err(line, "bounds", f"{kv['bounds'][-1]!r}",
                    "interval like [20,25], [12,100), (200,]")
            return None
        lo = _num(m.group(2), line, "bounds", src) if m.group(2) else None
        hi = _num(m.group(3), line, "bounds", src) if m.group(3) else None
        num.update(lower=lo, lower_inclusive=m.group(1) == "[", upper=hi,
                   upper_inclusive=m.group(4) == "]")
    else:
        try:
            lo, li, hi, ui = default_bounds(value, qual)
        except KeyError:
            src.err(line, "bounds", f"no default bounds for {qual} {_fmt(value)}",
                    "bounds=[lower,upper] for ranges and vague values outside the table")
            return None
        num.update(lower=lo, lower_inclusive=li, upper=hi, upper_inclusive=ui)
    if "unit" in kv:
        num["unit"] = kv["unit"][-1]
    if link is not None:
        if "." not in link:
            src.err(line, "event", f"{link!r}", "EVENT.ROLE, e.g. e1.victim")
            return None
        num["event"], num["counted_role"] = link.split(".", 1)
        num["counted_class"] = kv.get("class", [None])[-1]
        num["scope"] = kv.get("scope", ["incident"])[-1]
    elif "class" in kv or "scope" in kv:
        src.err(line, "class", "class/scope given without EVENT.ROLE", "EVENT.ROLE before them")
    return num


def _parse_time(toks: list[str], line: int, src: _Src) -> dict | None:
    if len(toks) < 3:
        src.err(line, "time", "time line too short", "time ID ISO-VALUE [mod=..]")
        return None
    kv = _kv(toks[3:], line, src, {"mod"})
    value = toks[2]
    if value.startswith("P"):
        ttype, prec = "duration", None
    else:
        ttype = "date"
        prec = {10: "day", 8: "week", 7: "month", 4: "year"}.get(len(value))
    return {"id": toks[1], "type": ttype, "value": value, "precision": prec,
            "mod": kv.get("mod", [None])[-1]}


def _parse_annotations(ann: str, first_line: int, src: _Src) -> dict[str, list[dict]]:
    layers: dict[str, list[dict]] = {k: [] for k in _LAYER_KEYS}
    for k, raw in enumerate(ann.split("\n")):
        line = first_line + k
        s = raw.split(" #", 1)[0].strip()  # a trailing " # comment" is allowed
        if not s or s.startswith("#"):
            continue
        toks = s.split()
        head = toks[0]
        if head == "event":
            obj = _parse_event(toks, line, src)
            layer = "events"
        elif head == "number":
            obj = _parse_number(toks, line, src)
            layer = "numbers"
        elif head == "time":
            obj = _parse_time(toks, line, src)
            layer = "times"
        elif head == "rel":
            if len(toks) != 4:
                src.err(line, "rel", "relation line", "rel SOURCE TYPE TARGET")
                continue
            obj, layer = {"source": toks[1], "type": toks[2], "target": toks[3]}, "relations"
        else:
            src.err(line, "-", f"unknown line type {head!r}", "event, number, time or rel")
            continue
        if obj is not None:
            obj["_line"] = line
            layers[layer].append(obj)
        elif len(toks) > 1:
            src.failed_ids.add(toks[1])  # its spans then raise no second, misleading error
    return layers


# -- compile ------------------------------------------------------------------------------------
def compile_text(raw: str, path: str = "<string>") -> tuple[Document | None, list[Problem]]:
    """Compile one `.tly` text into a canonical `Document` (offsets computed from the markup)."""
    src = _Src(path)
    parts = _split(raw, src)
    if parts is None:
        return None, src.problems
    front, fline, body, bline, ann, aline = parts
    try:
        meta = yaml.safe_load(front) or {}
    except yaml.YAMLError as exc:
        src.err(fline, "front matter", f"invalid YAML: {exc}".replace("\n", " "))
        return None, src.problems
    if not isinstance(meta, dict):
        src.err(fline, "front matter", "not a mapping", "key: value lines")
        return None, src.problems
    meta = _dates_to_str(meta)
    src.doc_id = meta.get("id") if isinstance(meta.get("id"), str) else None
    bad = sorted(set(meta) & _META_SKIP)
    if bad:
        src.err(fline, bad[0], "computed field in the front matter", "only metadata keys")
    text, labels = _parse_markup(body, bline, src)
    layers = _parse_annotations(ann, aline, src)
    _attach(text, labels, layers, src)
    if src.problems:
        return None, src.problems
    headline = layers.pop("_headline")
    for objs in layers.values():
        for o in objs:
            o.pop("_line", None)
    doc_dict = {**meta, "text": text, "text_sha256": sha256_text(text),
                "headline": headline, **layers}
    try:
        return Document.model_validate(doc_dict), []
    except ValidationError as exc:
        return None, pydantic_problems(exc, Path(path), None, src.doc_id)


def _dates_to_str(obj):
    # YAML reads 2023-11-17 as a date; the data model keeps ISO strings.
    if isinstance(obj, dict):
        return {k: _dates_to_str(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_dates_to_str(v) for v in obj]
    return obj.isoformat() if hasattr(obj, "isoformat") else obj


def _attach(text: str, labels: list[_Label], layers: dict, src: _Src) -> None:
    """Give each annotation its spans from the markup labels."""
    def span(lb: _Label) -> dict:
        return {"start": lb.start, "end": lb.end, "text": text[lb.start:lb.end]}

    events = {e["id"]: e for e in layers["events"]}
    singles = {o["id"]: (kind, o) for kind in ("numbers", "times") for o in layers[kind]}
    singles.update({k: ("events", v) for k, v in events.items()})
    seen: dict[str, _Label] = {}
    headline = None
    for lb in labels:
        name = lb.name
        if name == "headline":
            if headline is not None:
                src.err(lb.line, "headline", "two headline labels", "one")
            headline = span(lb)
            continue
        if "." in name:
            eid, role = name.split(".", 1)
            ev = events.get(eid)
            if ev is None:
                src.err(lb.line, name, f"label names event {eid!r}, which has no event line",
                        "an `event` line for it")
                continue
            if role == "source":
                if ev["source"] is not None:
                    src.err(lb.line, name, "second source span for the event", "one source span")
                ev["source"] = span(lb)
            else:
                ev["arguments"].append({"role": role, **span(lb)})
            continue
        if name not in singles:
            if name in src.failed_ids:
                continue
            src.err(lb.line, name, f"label {name!r} has no annotation line",
                    "an event/number/time line with that id")
            continue
        if name in seen:
            src.err(lb.line, name, f"label {name!r} marks two spans (first on line "
                    f"{seen[name].line})", "one span per id")
            continue
        seen[name] = lb
        kind, obj = singles[name]
        if kind == "events":
            obj["trigger"] = span(lb)
        else:
            obj["span"] = span(lb)
    for name, (kind, obj) in singles.items():
        if name not in seen:
            src.err(obj["_line"], name, f"{kind[:-1]} {name!r} has no span in the text",
                    f"[...]{{{name}}} in the text")
    for ev in layers["events"]:
        ev["arguments"].sort(key=lambda a: (a["start"], a["end"], a["role"]))
    if headline is None:
        nl = text.find("\n")
        end = nl if nl >= 0 else len(text)
        headline = {"start": 0, "end": end, "text": text[:end]}
        if end == 0:
            src.err(None, "headline", "the first line is empty", "the headline on the first line")
    layers["_headline"] = headline


def compile_file(path: Path) -> tuple[Document | None, list[Problem]]:
    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [Problem(str(path), None, None, "-", f"cannot read: {exc}")]
    return compile_text(raw, str(path))


# -- decompile ----------------------------------------------------------------------------------
def decompile(doc: Document) -> str:
    """Render a hydrated canonical document as `.tly` text; `compile_text` inverts it."""
    if doc.text is None:
        raise TallyError(f"document {doc.id} is not hydrated: decompiling needs its text")
    text = doc.text
    spans: dict[tuple[int, int], list[str]] = {}

    def add(s: int, e: int, name: str) -> None:
        spans.setdefault((s, e), []).append(name)

    nl = text.find("\n")
    default_head = (0, nl if nl >= 0 else len(text))
    if (doc.headline.start, doc.headline.end) != default_head:
        add(doc.headline.start, doc.headline.end, "headline")
    for ev in doc.events:
        add(ev.trigger.start, ev.trigger.end, ev.id)
        for a in ev.arguments:
            add(a.start, a.end, f"{ev.id}.{a.role}")
        if ev.source is not None:
            add(ev.source.start, ev.source.end, f"{ev.id}.source")
    for n in doc.numbers:
        add(n.span.start, n.span.end, n.id)
    for t in doc.times:
        add(t.span.start, t.span.end, t.id)
    order = sorted(spans, key=lambda se: (se[0], -se[1]))
    # Check nesting: the markup cannot express crossing spans.
    open_stack: list[tuple[int, int]] = []
    for s, e in order:
        while open_stack and open_stack[-1][1] <= s:
            open_stack.pop()
        if open_stack and e > open_stack[-1][1]:
            o = open_stack[-1]
            raise TallyError(f"document {doc.id}: spans {o} {spans[o]} and {(s, e)} {spans[(s, e)]}"
                             " cross; the authoring format needs nested spans")
        open_stack.append((s, e))
    return _render(doc, _mark(text, spans, order))


def _mark(text: str, spans: dict, order: list) -> str:
    """Insert the markup into the text, escaping literal markup characters."""
    opens: dict[int, int] = {}
    for s, _ in order:
        opens[s] = opens.get(s, 0) + 1
    closes: dict[int, list[str]] = {}
    for se in sorted(spans, key=lambda se: (se[1], -se[0])):
        closes.setdefault(se[1], []).append("]{" + " ".join(spans[se]) + "}")
    out: list[str] = []
    line_start = True
    for i in range(len(text) + 1):
        out.extend(closes.get(i, []))
        out.append("[" * opens.get(i, 0))
        if i == len(text):
            break
        ch = text[i]
        if line_start and text.startswith("---", i) and not opens.get(i):
            out.append("\\")  # a text line "---" must not read as a separator
        line_start = ch == "\n"
        out.append("\\" + ch if ch in _ESCAPABLE else ch)
    return "".join(out)


def _render(doc: Document, body: str) -> str:
    meta = {k: v for k, v in doc.model_dump(mode="json", exclude_none=True).items()
            if k not in _META_SKIP}
    front = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=100).rstrip("\n")
    lines: list[str] = []
    for ev in doc.events:
        toks = ["event", ev.id, ev.type]
        if ev.factuality != "asserted":
            toks.append(f"fact={ev.factuality}")
        if ev.time:
            toks.append(f"time={ev.time}")
        if ev.coref != ev.id:
            toks.append(f"coref={ev.coref}")
        for ic in ev.implicit_counts:
            spec = f"{ic.role}:{ic.counted_class}:{ic.value}"
            toks.append(f"implicit={spec}" + ("" if ic.scope == "incident" else f":{ic.scope}"))
        lines.append(" ".join(toks))
    for n in doc.numbers:
        toks = ["number", n.id, _fmt(n.value), n.qualifier, n.kind]
        if n.event is not None:
            toks.append(f"{n.event}.{n.counted_role}")
            if n.counted_class is not None:
                toks.append(f"class={n.counted_class}")
            if n.scope is not None and n.scope != "incident":
                toks.append(f"scope={n.scope}")
        try:
            implied = default_bounds(n.value, n.qualifier)
        except KeyError:
            implied = None
        if implied != (n.lower, n.lower_inclusive, n.upper, n.upper_inclusive):
            toks.append(f"bounds={_format_bounds(n)}")
        if n.unit:
            toks.append(f"unit={n.unit}")
        lines.append(" ".join(toks))
    for t in doc.times:
        toks = ["time", t.id, t.value]
        if t.mod:
            toks.append(f"mod={t.mod}")
        lines.append(" ".join(toks))
    for r in doc.relations:
        lines.append(f"rel {r.source} {r.type} {r.target}")
    return f"{SEP}\n{front}\n{SEP}\n{body}\n{SEP}\n" + "\n".join(lines) + "\n"
