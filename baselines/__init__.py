"""Tally's reference systems: `rules`, `linear` and `crf`.

    model = train_system("crf", train_docs, seed=0)
    preds = predict(model, dev_docs)            # list[tally.schema.Prediction]
    save_model(model, "models/crf", train_hash=documents_hash(train_docs), n_train=..., seed=0)
    model = load_model("models/crf")            # skops with an allow-list; never pickle
"""

from __future__ import annotations

import random
from collections.abc import Callable

import numpy as np
from tally.schema.models import Document, Prediction

from .corpus import documents_hash, load_documents, split_by_story
from .numbers import Normalized, normalize
from .registry import SYSTEMS, get_system
from .store import load_model, read_manifest, save_model


def train_system(name: str, docs: list[Document], seed: int = 0,
                 progress: Callable[[], None] | None = None):
    """Train the baseline `name` on gold documents (deterministic for a given seed)."""
    cls = get_system(name)
    random.seed(seed)
    np.random.seed(seed)
    return cls().fit(list(docs), seed=seed, progress=progress)


def predict(model, docs: list[Document],
            progress: Callable[[int], None] | None = None) -> list[Prediction]:
    """Predictions for `docs`, in order; `progress(n)` is called after each batch of n."""
    out: list[Prediction] = []
    batch = 16
    for k in range(0, len(docs), batch):
        part = docs[k : k + batch]
        out.extend(model.predict(part))
        if progress:
            progress(len(part))
    return out


__all__ = [
    "SYSTEMS",
    "Normalized",
    "documents_hash",
    "get_system",
    "load_documents",
    "load_model",
    "normalize",
    "predict",
    "read_manifest",
    "save_model",
    "split_by_story",
    "train_system",
]
