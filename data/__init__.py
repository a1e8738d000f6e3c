"""The Tally corpus: loading through Hugging Face `datasets`, split files, statistics."""

from __future__ import annotations

from pathlib import Path

from tally.schema.models import Document

DATA_DIR = Path(__file__).resolve().parent
# Bumped whenever documents or annotations change; every score records it.
DATASET_VERSION = "0.2.0"


def _fingerprint(data_dir: Path) -> str:
    import hashlib

    h = hashlib.sha256()
    for name in ("README.md", "train.jsonl", "dev.jsonl", "test.jsonl"):
        p = data_dir / name
        h.update(name.encode() + b"\0" + (p.read_bytes() if p.exists() else b"") + b"\0")
    return h.hexdigest()[:16]


def load(data_dir: Path | str = DATA_DIR, cache_dir: Path | str | None = None):
    """The corpus as a `datasets.DatasetDict` (train/dev/test) with explicit nested Features.

    Same as `datasets.load_dataset(<path to data/>)`: the dataset card declares the files and
    features. Works offline: everything is local. `datasets` caches local folders by path and
    can serve an old copy after the files change (huggingface/datasets#2956), so the cache
    used here is keyed by the files' content (under $TALLY_HF_CACHE or ~/.cache/tally/hf)."""
    import os

    import datasets

    data_dir = Path(data_dir)
    if cache_dir is None:
        root = Path(os.environ.get("TALLY_HF_CACHE", Path.home() / ".cache" / "tally" / "hf"))
        cache_dir = root / _fingerprint(data_dir)
    return datasets.load_dataset(str(data_dir), cache_dir=str(cache_dir))


def load_split(split: str, data_dir: Path | str = DATA_DIR) -> list[Document]:
    """One split as validated `Document` objects (for the scorer and the baselines)."""
    from tally.schema.diagnostics import TallyError
    from tally.schema.validate import validate_paths

    path = Path(data_dir) / f"{split}.jsonl"
    if not path.exists():
        raise TallyError(f"{path}: no such split file (expected train, dev or test)")
    docs, problems = validate_paths([path])
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise TallyError(errors)
    return [d for _, _, d in docs]


__all__ = ["DATASET_VERSION", "DATA_DIR", "load", "load_split"]
