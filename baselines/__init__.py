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
from threadpoolctl import threadpool_info, threadpool_limits

from tally.schema.models import Document, Prediction

from .corpus import documents_hash, load_documents, split_by_story
from .numbers import Normalized, normalize
from .parallel import map_chunks
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


def _worker_init() -> None:
    """Once in each forked prediction worker: it inherits `_fast`'s state from its parent (no
    collector, one BLAS thread); threadpoolctl confirms the limit and sets it only if missing,
    as setting it again restarts OpenBLAS's thread pools, whose threads then busy-wait ~0.1 s
    each (measured: 2 x 0.1 s of CPU per worker)."""
    gc.disable()
    if any(lib["num_threads"] != 1 for lib in threadpool_info()):
        threadpool_limits(limits=1)  # for the worker's lifetime


def train_system(name: str, docs: list[Document], seed: int = 0,
                 progress: Callable[[], None] | None = None):
    """Train the baseline `name` on gold documents (deterministic for a given seed)."""
    cls = get_system(name)
    random.seed(seed)
    np.random.seed(seed)
    with _fast():
        return cls().fit(list(docs), seed=seed, progress=progress)


BATCH = 64  # the learned systems vectorize a batch at once: larger batches, fewer calls


def predict(model, docs: list[Document], progress: Callable[[int], None] | None = None,
            jobs: int = 1) -> list[Prediction]:
    """Predictions for `docs`, in order; `progress(n)` is called after each chunk of n.

    `jobs` > 1 predicts contiguous chunks of the documents (about BATCH each, balanced by text
    length) in that many forked worker processes and concatenates them in input order: the
    same predictions as `jobs=1`, as every document is predicted on its own. Lazily built model
    state is built first, so the workers share it; each worker runs with one BLAS thread. Where
    fork is unavailable (not Linux) the chunks run in this process."""
    docs = list(docs)
    if jobs > 1:
        model.prepare()
    with _fast():
        return map_chunks(lambda part: _predict_batches(model, part), docs, jobs,
                          weights=[len(d.text) for d in docs], chunk_size=BATCH,
                          progress=progress, init=_worker_init)


def _predict_batches(model, docs: list[Document]) -> list[Prediction]:
    """`model.predict` over batches of at most BATCH documents."""
    out: list[Prediction] = []
    for k in range(0, len(docs), BATCH):
        out.extend(model.predict(docs[k : k + BATCH]))
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
