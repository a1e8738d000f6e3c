"""Tally's reference systems: `rules`, `linear` and `crf`.

    model = train_system("crf", train_docs, seed=0)
    preds = predict(model, dev_docs)            # list[tally.schema.Prediction]
    save_model(model, "models/crf", train_hash=documents_hash(train_docs), n_train=..., seed=0)
    model = load_model("models/crf")            # skops with an allow-list; never pickle
"""

from __future__ import annotations

import gc
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np
from threadpoolctl import threadpool_limits

from tally.schema.models import Document, Prediction

from .corpus import documents_hash, load_documents, split_by_story
from .numbers import Normalized, normalize
from .registry import SYSTEMS, get_system
from .store import load_model, read_manifest, save_model


@contextmanager
def _fast() -> Iterator[None]:
    """One BLAS thread and no cyclic garbage collector for the duration.

    The models are small: on a busy 2-core machine BLAS threads spinning against each other
    made L-BFGS ten times slower (33 s -> 3.8 s for the classifiers). The pipelines allocate
    millions of short-lived feature lists that reference counting frees (no cycles), and the
    collector's passes over them cost 40% of prediction time."""
    was = gc.isenabled()
    gc.disable()
    try:
        with threadpool_limits(limits=1):
            yield
    finally:
        if was:
            gc.enable()


def train_system(name: str, docs: list[Document], seed: int = 0,
                 progress: Callable[[], None] | None = None):
    """Train the baseline `name` on gold documents (deterministic for a given seed)."""
    cls = get_system(name)
    random.seed(seed)
    np.random.seed(seed)
    with _fast():
        return cls().fit(list(docs), seed=seed, progress=progress)


BATCH = 64  # the learned systems vectorize a batch at once: larger batches, fewer calls


def predict(model, docs: list[Document],
            progress: Callable[[int], None] | None = None) -> list[Prediction]:
    """Predictions for `docs`, in order; `progress(n)` is called after each batch of n.

    (Forking two worker processes was tried: on 105 documents it ran at 0.5-1.2x the speed of
    one process, as copy-on-write pages are copied when the workers touch the shared models.)"""
    docs = list(docs)
    out: list[Prediction] = []
    with _fast():
        for k in range(0, len(docs), BATCH):
            part = docs[k : k + BATCH]
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
