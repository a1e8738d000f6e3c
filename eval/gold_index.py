"""A gold index file: a validated gold as columns, built once, memory-mapped in well under 1 s.

Loading and validating a large gold (`load_gold`) takes minutes at 100k documents; the columnar
scorer needs only its columns, ids, texts and hashes. `build_gold_index` writes them to one Arrow
IPC file (written to a temporary file and renamed, so that a crash never leaves half an index);
`load_gold_index` maps it back without copying the big arrays. The file records the format,
ontology and scorer versions it was made for, and refuses to load under others.

Besides the gold `Columns` the index keeps what the prediction reader (`columnar_read`) needs to
compare span texts with the gold in UTF-8 byte space: the texts as one UTF-8 buffer, each
document's byte and code-point start, and a code point -> byte map. The map is sparse because
texts are almost all ASCII: the global code-point positions of the non-ASCII characters with the
extra bytes before each, and per block of `BLOCK` code points the extra bytes before the block
and whether the block holds a non-ASCII character (most blocks hold none: one lookup suffices).
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field, fields
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.ipc as ipc

from tally.eval import columns as C
from tally.eval.columnar_facts import GoldFacts, prepare_gold_facts
from tally.eval.columns import Columns
from tally.eval.loading import GoldDocuments, gc_paused, gold_sha256
from tally.eval.plain import from_model
from tally.eval.version import SCORER_VERSION
from tally.schema.diagnostics import Problem, TallyError
from tally.schema.models import FORMAT_VERSION, Document
from tally.schema.ontology import load_ontology

KIND = "tally-gold-index"
LAYOUT = "2"  # bump when the file's fields change
BLOCK_BITS = 6
BLOCK = 1 << BLOCK_BITS  # code points per block of the code point -> byte map
PAD = 8  # zero bytes after the text buffer: the reader loads 8 bytes at any text offset
_ARROW_MAGIC = b"ARROW1"
_STR_LISTS = ("ids", "sources", "doc_ids", "text_sha256")


def _versions() -> dict[str, str]:
    return {"format_version": FORMAT_VERSION, "ontology_version": load_ontology().version,
            "scorer_version": SCORER_VERSION}


@dataclass(slots=True)
class GoldIndexColumns:
    """A loaded gold index. Arrays are read-only views of the mapped file."""

    columns: Columns
    ids: list[str]  # document ids in gold order
    sha256: str  # loading.gold_sha256 of the gold
    hydrated: bool  # every document has its text
    dataset_version: str
    text_sha256: list[str]
    texts: pa.LargeStringArray  # per document, null when not hydrated
    text_bytes: np.ndarray  # uint8: every text in gold order, then PAD zero bytes
    byte_start: np.ndarray  # int64 (n_docs + 1): a document's first byte in text_bytes
    cp_start: np.ndarray  # int64 (n_docs + 1): its first code point, counted over all texts
    has_text: np.ndarray  # bool per document
    na_cp: np.ndarray  # int64: global code point of every non-ASCII character, ascending
    na_extra: np.ndarray  # int64 (len(na_cp) + 1): extra bytes before na_cp[k] (cumulative)
    block_extra: np.ndarray  # int64: extra bytes before code point b * BLOCK
    block_mixed: np.ndarray  # bool: block b holds a non-ASCII character
    # The validated gold documents as JSON lines, for the per-document path (another regime,
    # error listings, or a submission the columnar reader declines).
    documents_jsonl: pa.LargeBinaryArray | None = field(default=None, repr=False)  # 1 value
    _index: dict[str, int] | None = field(default=None, repr=False)
    _facts: GoldFacts | None = field(default=None, repr=False)
    _offsets: dict[str, np.ndarray] | None = field(default=None, repr=False)
    _documents: GoldDocuments | None = field(default=None, repr=False)

    @property
    def index(self) -> dict[str, int]:
        """Document id -> position in gold order (built on first use)."""
        if self._index is None:
            self._index = {d: i for i, d in enumerate(self.ids)}
        return self._index

    def facts(self) -> GoldFacts:
        """The gold side of the fact metrics, made on first use and kept for every submission."""
        if self._facts is None:
            self._facts = prepare_gold_facts(self.columns)
        return self._facts

    def offsets(self) -> dict[str, np.ndarray]:
        """`columns.table_offsets` of the gold, made on first use and kept."""
        if self._offsets is None:
            self._offsets = C.table_offsets(self.columns)
        return self._offsets

    def documents(self) -> GoldDocuments:
        """The gold documents (validated when the index was built), loaded on first use."""
        if self._documents is None:
            data = self.documents_jsonl[0].as_py() if self.documents_jsonl is not None else b""
            with gc_paused():
                docs = GoldDocuments(Document.model_validate_json(line)
                                     for line in data.splitlines())
            if len(docs) != self.columns.n_docs or docs.sha256() != self.sha256:
                raise TallyError("the gold index's documents do not match its columns: "
                                 "rebuild it with `tally gold-index`")
            self._documents = docs
        return self._documents

    def cp_to_byte(self, g: np.ndarray) -> np.ndarray:
        """Offsets into text_bytes of global code points `g` (int64, each <= the total)."""
        b = g >> BLOCK_BITS
        out = g + self.block_extra[b]
        mixed = np.flatnonzero(self.block_mixed[b])
        if len(mixed):
            gm = g[mixed]
            out[mixed] = gm + self.na_extra[np.searchsorted(self.na_cp, gm, "left")]
        return out


def _text_maps(texts: list[str | None]) -> dict[str, np.ndarray]:
    """The UTF-8 buffer and the code point -> byte map of the texts (see the module doc)."""
    encoded = [(t or "").encode("utf-8") for t in texts]
    byte_start = np.zeros(len(texts) + 1, np.int64)
    np.cumsum([len(b) for b in encoded], out=byte_start[1:])
    buf = np.frombuffer(b"".join(encoded) + bytes(PAD), np.uint8)
    body = buf[:-PAD]
    cont = np.flatnonzero((body & 0xC0) == 0x80)  # continuation bytes
    lead = np.flatnonzero(body >= 0xC0)  # first bytes of non-ASCII characters
    na_cp = lead - np.searchsorted(cont, lead)
    extra = np.where(body[lead] >= 0xF0, 3, np.where(body[lead] >= 0xE0, 2, 1)).astype(np.int64)
    na_extra = np.zeros(len(lead) + 1, np.int64)
    np.cumsum(extra, out=na_extra[1:])
    cp_start = byte_start - np.searchsorted(cont, byte_start)
    n_blocks = (int(cp_start[-1]) >> BLOCK_BITS) + 1
    block_first = np.arange(n_blocks, dtype=np.int64) << BLOCK_BITS
    return {
        "text_bytes": buf, "byte_start": byte_start, "cp_start": cp_start,
        "has_text": np.array([t is not None for t in texts], np.bool_),
        "na_cp": na_cp.astype(np.int64), "na_extra": na_extra,
        "block_extra": na_extra[np.searchsorted(na_cp, block_first, "left")],
        "block_mixed": np.bincount(na_cp >> BLOCK_BITS, minlength=n_blocks) > 0,
    }


def _one_row(values: pa.Array) -> pa.ListArray:
    return pa.LargeListArray.from_arrays(pa.array([0, len(values)], pa.int64()), values)


def _batch(gold: GoldDocuments, dataset_version: str, documents: bool = True
           ) -> pa.RecordBatch:
    """The index of a validated gold as one record batch of one-row list columns."""
    cols = C.from_pdocs([from_model(d) for d in gold])
    texts = [d.text for d in gold]
    arrays: dict[str, pa.Array] = {}
    for f in fields(Columns):
        v = getattr(cols, f.name)
        if f.name == "n_docs":
            continue
        arrays[f.name] = pa.array(v, pa.string()) if f.name in _STR_LISTS else pa.array(v)
    arrays["doc_ids"] = pa.array([d.id for d in gold], pa.string())
    arrays["text_sha256"] = pa.array([d.text_sha256 for d in gold], pa.string())
    for name, arr in _text_maps(texts).items():
        arrays[name] = pa.array(arr)
    if documents:
        arrays["documents_jsonl"] = pa.array(
            [b"\n".join(d.model_dump_json().encode("utf-8") for d in gold)], pa.large_binary())
    meta = {"kind": KIND, "layout": LAYOUT, **_versions(), "dataset_version": dataset_version,
            "gold_sha256": gold_sha256(gold), "hydrated": str(all(t is not None for t in texts)),
            "n_docs": str(len(gold))}
    batch = pa.RecordBatch.from_arrays([_one_row(a) for a in arrays.values()],
                                       names=list(arrays))
    return batch.replace_schema_metadata(meta)


def columnar_gold(gold: GoldDocuments, dataset_version: str = "unversioned") -> GoldIndexColumns:
    """The index of a loaded gold, in memory (no file): what `evaluate_file` scores against."""
    batch = _batch(gold, dataset_version, documents=False)
    gi = _from_batch(batch, _meta(batch), "<gold in memory>")
    gi._documents = gold
    return gi


def build_gold_index(gold: GoldDocuments, path: Path, dataset_version: str) -> None:
    """Write the index of a validated gold (`load_gold`) to `path`, atomically."""
    path = Path(path)
    batch = _batch(gold, dataset_version)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh, ipc.new_file(fh, batch.schema) as writer:
            writer.write_batch(batch)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; an index is shared like the gold
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def is_gold_index(path: Path) -> bool:
    """True when `path` starts like an Arrow IPC file (a JSONL gold starts with '{')."""
    try:
        with Path(path).open("rb") as fh:
            return fh.read(len(_ARROW_MAGIC)) == _ARROW_MAGIC
    except OSError:
        return False


def _refuse(path: Path, message: str, expected: str) -> TallyError:
    return TallyError([Problem(str(path), None, None, "-", message, expected)])


def load_gold_index(path: Path) -> GoldIndexColumns:
    """Map an index written by `build_gold_index`; TallyError for anything else or another
    format, ontology or scorer version."""
    path = Path(path)
    what = "a gold index made by `build_gold_index`"
    try:
        reader = ipc.open_file(pa.memory_map(str(path)))
        batch = reader.get_batch(0) if reader.num_record_batches == 1 else None
    except (OSError, pa.ArrowException) as exc:
        raise _refuse(path, f"not a gold index: {exc}", what) from None
    meta = _meta(batch) if batch is not None else {}
    if batch is None or meta.get("kind") != KIND or meta.get("layout") != LAYOUT:
        raise _refuse(path, "not a gold index (or an index of another layout)",
                      f"{what}, layout {LAYOUT}")
    for key, want in _versions().items():
        if meta.get(key) != want:
            raise _refuse(path, f"index made for {key.replace('_', ' ')} {meta.get(key)}",
                          f"{key.replace('_', ' ')} {want}: rebuild the index")

    return _from_batch(batch, meta, path)


def _meta(batch: pa.RecordBatch) -> dict[str, str]:
    return {k.decode(): v.decode() for k, v in (batch.schema.metadata or {}).items()}


def _from_batch(batch: pa.RecordBatch, meta: dict[str, str], path: Path | str
                ) -> GoldIndexColumns:
    what = "a gold index made by `build_gold_index`"

    def col(name: str) -> pa.Array:
        return batch.column(name).values

    def arr(name: str) -> np.ndarray:
        a = col(name)
        return a.to_numpy(zero_copy_only=a.type != pa.bool_())

    try:
        n = int(meta["n_docs"])
        names = [f.name for f in fields(Columns)]
        cols = Columns(n, *[col(k).to_pylist() if k in _STR_LISTS else arr(k)
                            for k in names[1:]])
        # Kept as the mapped array: taking the value out copies it (0.5 s at 100k documents).
        documents = col("documents_jsonl") if "documents_jsonl" in batch.schema.names else None
        byte_start = arr("byte_start")
        text_bytes = arr("text_bytes")
        has_text = arr("has_text")
        texts = pa.LargeStringArray.from_buffers(
            n, pa.py_buffer(byte_start), pa.py_buffer(text_bytes),
            pa.array(has_text).buffers()[1])
        return GoldIndexColumns(
            cols, col("doc_ids").to_pylist(), meta["gold_sha256"], meta["hydrated"] == "True",
            meta["dataset_version"], col("text_sha256").to_pylist(), texts, text_bytes,
            byte_start, arr("cp_start"), has_text, arr("na_cp"), arr("na_extra"),
            arr("block_extra"), arr("block_mixed"), documents)
    except (KeyError, ValueError, pa.ArrowException) as exc:
        raise _refuse(path, f"damaged gold index: {exc}", what) from None
