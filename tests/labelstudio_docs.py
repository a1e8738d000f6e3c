"""Documents shared by the Label Studio and export tests."""

from __future__ import annotations

from pathlib import Path

from tally.schema.jsonl import iter_json_lines, parse_model
from tally.schema.models import Document
from tests.conftest import DATA, compile_ok

# Non-ASCII text: curly quotes, the apostrophe of "Ta’ang", emoji before and between spans.
UNICODE_TLY = """---
id: ls-unicode-001
dateline: {place: Lashio, date: 2023-11-17}
genre: wire
country: Myanmar
conflict: Myanmar civil war
story: ls-unicode
license: CC-BY-4.0
provenance: {method: written_for_tally, writer: test suite, created: 2026-11-24}
---
🔥 Ta’ang fighters [seize]{e1} [Namhsan]{e1.territory} 😀

LASHIO, [Nov. 17]{t1} — “[The Ta’ang army 🛡️]{e2.agent} [took]{e2} \
[[three]{n1} posts]{e2.territory},” [a spokesman 👍]{e2.source} said. “[Fighting]{e3} 💥 goes on.”
---
event e1 TERRITORY_CAPTURE time=t1
event e2 TERRITORY_CAPTURE fact=reported time=t1 coref=e1
event e3 ARMED_CLASH
number n1 3 exact event_count e2.territory class=places
time t1 2023-11-17
"""


def unicode_doc() -> Document:
    return compile_ok(UNICODE_TLY)


def corpus_docs() -> list[Document]:
    """Every document of the corpus splits (train, dev, test)."""
    docs = []
    for name in ("train", "dev", "test"):
        path = DATA / f"{name}.jsonl"
        for lineno, obj, prob in iter_json_lines(Path(path)):
            assert prob is None, prob
            doc, probs = parse_model(Document, obj, path, lineno)
            assert doc is not None, probs
            docs.append(doc)
    return docs
