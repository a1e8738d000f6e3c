"""CoNLL-style BIO token files: one token per line, triggers and numbers in two tag columns.

    -DOCSTART-	tly-a-006
    <blank>
    Fighting	63	71	B-ARMED_CLASH	O
    displaced	72	81	B-DISPLACEMENT	O
    thousands	82	91	O	B-event_count

Columns (tab-separated): token, start and end character offsets (code points) in the document
text, trigger tag (`B-`/`I-` + event type), number tag (`B-`/`I-` + number kind). Sentences are
separated by a blank line (a sentence is never split inside a tagged span). The tags of a sentence
are a valid IOB2 sequence, so seqeval's `get_entities` / `classification_report` read them as is.
Tokens come from the baselines' tokenizer; a span that does not fall on token boundaries is
widened to the tokens it touches (counted in `ExportStats.widened`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tally.baselines.tokens import tokenize
from tally.schema.models import Document

DOCSTART = "-DOCSTART-"


@dataclass
class ExportStats:
    """What an export had to change: spans widened to token boundaries, spans dropped."""

    widened: int = 0
    dropped: int = 0
    notes: list[str] = field(default_factory=list)


def token_span(tok, start: int, end: int) -> tuple[int, int] | None:
    """Tokens [i, j) touching characters [start, end); None when no token does."""
    idx = [k for k in range(len(tok)) if tok.starts[k] < end and tok.ends[k] > start]
    return (idx[0], idx[-1] + 1) if idx else None


def _tags(tok, spans: list[tuple[int, int, str]], stats: ExportStats, doc_id: str) -> list[str]:
    tags = ["O"] * len(tok)
    for start, end, label in spans:
        rng = token_span(tok, start, end)
        if rng is None:
            stats.dropped += 1
            stats.notes.append(f"{doc_id}: {label} span {start}:{end} covers no token")
            continue
        i, j = rng
        if any(t != "O" for t in tags[i:j]):
            stats.dropped += 1
            stats.notes.append(f"{doc_id}: {label} span {start}:{end} overlaps another span")
            continue
        if (tok.starts[i], tok.ends[j - 1]) != (start, end):
            stats.widened += 1
        tags[i] = f"B-{label}"
        for k in range(i + 1, j):
            tags[k] = f"I-{label}"
    return tags


def _sentences(tok, tag_cols: list[list[str]]) -> list[tuple[int, int]]:
    """The tokenizer's sentences, merged where a tagged span would cross a boundary."""
    out: list[tuple[int, int]] = []
    for a, b in tok.sent_bounds:
        crosses = out and any(col[a].startswith("I-") for col in tag_cols)
        if crosses:
            out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out


def document_to_conll(doc: Document, stats: ExportStats | None = None) -> str:
    stats = stats if stats is not None else ExportStats()
    if doc.text is None:
        raise ValueError(f"{doc.id}: no text (hydrate it first)")
    tok = tokenize(doc.text)
    trig = _tags(tok, [(e.trigger.start, e.trigger.end, e.type) for e in doc.events], stats,
                 doc.id)
    nums = _tags(tok, [(n.span.start, n.span.end, n.kind) for n in doc.numbers], stats, doc.id)
    lines = [f"{DOCSTART}\t{doc.id}", ""]
    for a, b in _sentences(tok, [trig, nums]):
        for k in range(a, b):
            word = tok.words[k]
            lines.append(f"{word}\t{tok.starts[k]}\t{tok.ends[k]}\t{trig[k]}\t{nums[k]}")
        lines.append("")
    return "\n".join(lines) + "\n"


def to_conll(docs: list[Document]) -> tuple[str, ExportStats]:
    stats = ExportStats()
    return "".join(document_to_conll(d, stats) for d in docs), stats


@dataclass
class ConllDocument:
    """A document read back: sentences of (token, start, end, trigger tag, number tag)."""

    id: str
    sentences: list[list[tuple[str, int, int, str, str]]] = field(default_factory=list)

    def spans(self, column: int) -> list[tuple[int, int, str]]:
        """(start, end, label) of the BIO spans in tag column 3 (triggers) or 4 (numbers)."""
        out = []
        for sent in self.sentences:
            cur: list | None = None
            for row in sent:
                tag = row[column]
                if tag.startswith("I-") and cur is not None and cur[2] == tag[2:]:
                    cur[1] = row[2]
                    continue
                if cur:
                    out.append(tuple(cur))
                cur = [row[1], row[2], tag[2:]] if tag != "O" else None
            if cur:
                out.append(tuple(cur))
        return out


def read_conll(text: str) -> list[ConllDocument]:
    docs: list[ConllDocument] = []
    sent: list = []
    for line in text.splitlines():
        if line.startswith(DOCSTART):
            docs.append(ConllDocument(line.split("\t", 1)[1]))
            continue
        if not line.strip():
            if sent:
                docs[-1].sentences.append(sent)
            sent = []
            continue
        word, s, e, t, n = line.split("\t")
        sent.append((word, int(s), int(e), t, n))
    if sent:
        docs[-1].sentences.append(sent)
    return docs
