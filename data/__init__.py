"""The Tally corpus: loading through Hugging Face `datasets`, split files, statistics."""

from __future__ import annotations

from pathlib import Path

from tally.schema.models import Document

DATA_DIR = Path(__file__).resolve().parent
# Bumped whenever documents or annotations change; every score records it.
DATASET_VERSION = "0.1.0"


def load(data_dir: Path | str = DATA_DIR):
    """The corpus as a `datasets.DatasetDict` (train/dev/test) with explicit nested Features.

    Same as `datasets.load_dataset(<path to data/>)`: the dataset card declares the files and
    features. Works offline: everything is local."""
    import datasets

    return datasets.load_dataset(str(data_dir))


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
