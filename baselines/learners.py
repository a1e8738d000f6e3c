"""Small learners over string features: a hashed linear classifier, a linear token tagger and a
CRF tagger (python-crfsuite). State is sklearn estimators (saved with skops) or crfsuite model
bytes (a data file, never code)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Sequence
from itertools import chain, repeat

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression, SGDClassifier


class Vocab:
    """Feature string -> column; a plain dict (saved as JSON), unseen features are dropped.

    Columns only for features seen in training keep the solvers' work proportional to the data
    (hashing into 2**18 columns made L-BFGS spend most of its time on empty weights)."""

    def __init__(self, index: dict[str, int] | None = None) -> None:
        self.index = index or {}

    def fit(self, X: Iterable[list[str]]) -> Vocab:
        idx = self.index
        for feats in X:
            for f in feats:
                if f not in idx:
                    idx[f] = len(idx)
        return self

    def transform(self, X: Sequence[list[str]], binary: bool = True) -> sparse.csr_matrix:
        """Rows of 0/1 features (`binary=False`: a repeated feature counts twice, like crfsuite).

        Built as CSR directly (rows are already contiguous: no COO sort), one dict lookup per
        feature; `sum_duplicates` sorts each row and merges repeats (the canonical form)."""
        idx = self.index
        ends = np.cumsum(np.fromiter(map(len, X), dtype=np.int64, count=len(X)))
        n_feats = int(ends[-1]) if len(X) else 0
        cols = np.fromiter(map(idx.get, chain.from_iterable(X), repeat(-1)), dtype=np.int64,
                           count=n_feats)
        seen = cols >= 0
        kept = np.zeros(n_feats + 1, dtype=np.int64)
        np.cumsum(seen, out=kept[1:])
        indptr = kept[np.concatenate([[0], ends])]
        m = sparse.csr_matrix((np.ones(int(kept[-1])), cols[seen], indptr),
                              shape=(len(X), max(len(idx), 1)))
        m.sum_duplicates()
        if binary:
            m.data[:] = 1.0
        return m


class Classifier:
    """A multinomial logistic regression over hashed string features; one class -> a constant."""

    def __init__(self, C: float = 1.0) -> None:
        self.C = C
        self.vocab = Vocab()
        self.model: LogisticRegression | None = None
        self.constant: str | None = None

    def fit(self, X: Sequence[list[str]], y: Sequence[str], seed: int = 0) -> Classifier:
        labels = sorted(set(y))
        if len(labels) <= 1:
            self.constant = labels[0] if labels else None
            return self
        self.vocab = Vocab().fit(X)
        self.model = LogisticRegression(C=self.C, max_iter=300, random_state=seed)
        self.model.fit(self.vocab.transform(X), list(y))
        return self

    @property
    def classes(self) -> list[str]:
        if self.model is None:
            return [self.constant] if self.constant is not None else []
        return [str(c) for c in self.model.classes_]

    def proba(self, X: Sequence[list[str]]) -> np.ndarray:
        if self.model is None:
            return np.ones((len(X), 1))
        return self.model.predict_proba(self.vocab.transform(X))

    def predict(self, X: Sequence[list[str]]) -> list[str]:
        if not X:
            return []
        if self.model is None:
            return [self.constant or ""] * len(X)
        return [str(c) for c in self.model.predict(self.vocab.transform(X))]

    def estimators(self, prefix: str) -> dict:
        return {prefix: self.model} if self.model is not None else {}

    def state(self) -> dict:
        return {"C": self.C, "constant": self.constant, "vocab": self.vocab.index}

    @classmethod
    def restore(cls, state: dict, estimators: dict, prefix: str) -> Classifier:
        c = cls(state["C"])
        c.vocab = Vocab(dict(state["vocab"]))
        c.constant = state["constant"]
        c.model = estimators.get(prefix)
        return c


class LinearTagger:
    """Per-token SGD (modified Huber) scores over window features, decoded by Viterbi under the
    BIO constraint (no I-X after anything but B-X / I-X). A learned `prev=` feature trained on
    gold histories was tried and collapsed to all-O (exposure bias), so transitions are fixed."""

    kind = "linear"

    def __init__(self, epochs: int = 8, alpha: float = 2e-5) -> None:
        self.epochs = epochs
        self.alpha = alpha
        self.vocab = Vocab()
        self.model: SGDClassifier | None = None

    def fit(self, X: Sequence[list[list[str]]], Y: Sequence[list[str]], seed: int = 0) -> None:
        flat_x = [f for seq in X for f in seq]
        flat_y = [y for seq in Y for y in seq]
        self.model = SGDClassifier(loss="modified_huber", alpha=self.alpha, max_iter=self.epochs,
                                   tol=None, random_state=seed, average=True)
        self.vocab = Vocab().fit(flat_x)
        self.model.fit(self.vocab.transform(flat_x), flat_y)

    def _transitions(self) -> tuple[list[str], np.ndarray, np.ndarray]:
        labels = [str(c) for c in self.model.classes_]
        n = len(labels)
        trans = np.zeros((n, n))
        start = np.zeros(n)
        for c, cur in enumerate(labels):
            if cur.startswith("I-"):
                start[c] = -1e9
                for p, prev in enumerate(labels):
                    if prev[2:] != cur[2:] or prev == "O":
                        trans[p, c] = -1e9
        return labels, trans, start

    def prepare(self) -> None:
        """Nothing is built lazily (see `CRFTagger.prepare`)."""

    def tag(self, X: Sequence[list[list[str]]]) -> list[list[str]]:
        lens = [len(s) for s in X]
        flat = [f for seq in X for f in seq]
        if not flat:
            return [[] for _ in X]
        scores = self.model.decision_function(self.vocab.transform(flat))
        if scores.ndim == 1:
            scores = np.stack([-scores, scores], axis=1)
        labels, trans, start = self._transitions()
        return [[labels[i] for i in p] for p in viterbi_batch(scores, lens, trans, start)]

    def estimators(self, prefix: str) -> dict:
        return {prefix: self.model}

    def state(self) -> dict:
        return {"kind": self.kind, "epochs": self.epochs, "alpha": self.alpha,
                "vocab": self.vocab.index}

    def blobs(self, prefix: str) -> dict[str, bytes]:
        return {}

    @classmethod
    def restore(cls, state: dict, estimators: dict, blobs: dict, prefix: str) -> LinearTagger:
        t = cls(state["epochs"], state["alpha"])
        t.vocab = Vocab(dict(state["vocab"]))
        t.model = estimators[prefix]
        return t


def viterbi_batch(scores: np.ndarray, lens: Sequence[int], trans: np.ndarray,
                  start: np.ndarray, chunk: int = 128) -> list[list[int]]:
    """Best label paths of many sequences; `scores` holds their rows back to back.

    Sequences are sorted longest first and decoded `chunk` at a time by `_viterbi_packed`, so
    each step is a few numpy operations over every sequence still running."""
    lens_a = np.asarray(lens, dtype=np.int64)
    offsets = np.zeros(len(lens_a) + 1, dtype=np.int64)
    np.cumsum(lens_a, out=offsets[1:])
    order = np.argsort(-lens_a, kind="stable")
    labels = np.zeros(len(scores), dtype=np.int64)
    for c in range(0, len(order), chunk):
        part = order[c : c + chunk]
        part = part[lens_a[part] > 0]
        if len(part):
            _viterbi_packed(scores, offsets[part], lens_a[part], trans, start, labels)
    flat = labels.tolist()
    return [flat[a:b] for a, b in zip(offsets[:-1].tolist(), offsets[1:].tolist(), strict=True)]


def _viterbi_packed(scores: np.ndarray, offsets: np.ndarray, lens: np.ndarray,
                    trans: np.ndarray, start: np.ndarray, labels: np.ndarray) -> None:
    """Viterbi over sequences (rows `offsets[k]`.. of `scores`, `lens` non-increasing, > 0),
    writing the best labels into `labels` at the same rows.

    Time-major packing with no padding: at step t the running sequences are the first
    `live[t]`, stored at rows `step[t]`.. of `emit`/`hist`. The forward pass keeps only the best
    score of each (token, label), the max over the previous label taken along the leading axis
    of a [prev, seq, cur] array (contiguous, cheap); the backtrace then recomputes the argmax
    for the one label chosen per token (the same sums, so the same first maximum, as storing
    every back-pointer, which cost an argmax per (token, label))."""
    width = int(lens[0])
    live = np.searchsorted(-lens, -np.arange(width), side="left")  # sequences longer than t
    step = np.zeros(width + 1, dtype=np.int64)
    np.cumsum(live, out=step[1:])
    t_of = np.repeat(np.arange(width), live)
    rows = offsets[np.arange(step[-1]) - step[t_of]] + t_of
    emit = scores[rows]
    hist = np.empty_like(emit)
    hist[: live[0]] = emit[: live[0]] + start
    trans_pc = trans[:, None, :]
    for t in range(1, width):
        prev = np.ascontiguousarray(hist[step[t - 1] : step[t - 1] + live[t]].T)
        cand = prev[:, :, None] + trans_pc  # [prev, seq, cur], C order: max over slabs
        hist[step[t] : step[t + 1]] = cand.max(axis=0) + emit[step[t] : step[t + 1]]
    cur = hist[step[lens - 1] + np.arange(len(lens))].argmax(axis=1)
    best = np.empty(step[-1], dtype=np.int64)
    for t in range(width - 1, -1, -1):
        n = live[t]
        best[step[t] : step[t + 1]] = cur[:n]
        if t:
            prev = hist[step[t - 1] : step[t - 1] + n]
            cur[:n] = (prev + trans[:, cur[:n]].T).argmax(axis=1)
    labels[rows] = best


class CRFTagger:
    """A linear-chain CRF (python-crfsuite, L-BFGS with L1+L2) over the same string features."""

    kind = "crf"

    def __init__(self, c1: float = 0.05, c2: float = 0.01, max_iterations: int = 40) -> None:
        self.params = {"c1": c1, "c2": c2, "max_iterations": max_iterations,
                       "feature.possible_transitions": True}
        self.model_bytes: bytes | None = None
        self._tagger = None

    def fit(self, X: Sequence[list[list[str]]], Y: Sequence[list[str]], seed: int = 0) -> None:
        import pycrfsuite

        trainer = pycrfsuite.Trainer(verbose=False)
        for x, y in zip(X, Y, strict=True):
            if x:
                trainer.append(x, y)
        trainer.set_params(self.params)
        fd, path = tempfile.mkstemp(suffix=".crfsuite")
        os.close(fd)
        try:
            trainer.train(path)
            with open(path, "rb") as fh:
                self.model_bytes = fh.read()
        finally:
            os.unlink(path)
        self._tagger = None

    def _open(self) -> tuple[Vocab, np.ndarray, list[str], np.ndarray]:
        """The model's weights as a (feature -> row) vocabulary, a dense [feature, label] matrix
        and a transition matrix: decoding a whole batch is one sparse product plus
        `viterbi_batch` (crfsuite's own tagger costs a call and string copies per sentence)."""
        import pycrfsuite

        if self._tagger is None:
            tagger = pycrfsuite.Tagger()
            tagger.open_inmemory(self.model_bytes)
            info = tagger.info()
            labels = sorted(tagger.labels())
            lab = {x: k for k, x in enumerate(labels)}
            attrs = sorted({a for a, _ in info.state_features})
            vocab = Vocab({a: k for k, a in enumerate(attrs)})
            weights = np.zeros((max(len(attrs), 1), len(labels)))
            for (a, y), w in info.state_features.items():
                weights[vocab.index[a], lab[y]] = w
            trans = np.zeros((len(labels), len(labels)))
            for (y0, y1), w in info.transitions.items():
                trans[lab[y0], lab[y1]] = w
            tagger.close()
            self._tagger = (vocab, weights, labels, trans)
        return self._tagger

    def prepare(self) -> None:
        """Build the decoding matrices now (reading crfsuite's model takes ~0.3 s a tagger),
        e.g. before forking workers, which then share them instead of each building a copy."""
        self._open()

    def tag(self, X: Sequence[list[list[str]]]) -> list[list[str]]:
        vocab, weights, labels, trans = self._open()
        flat = [f for seq in X for f in seq]
        if not flat:
            return [[] for _ in X]
        scores = vocab.transform(flat, binary=False) @ weights
        paths = viterbi_batch(scores, [len(x) for x in X], trans, np.zeros(len(labels)))
        return [[labels[i] for i in p] for p in paths]

    def estimators(self, prefix: str) -> dict:
        return {}

    def state(self) -> dict:
        return {"kind": self.kind, "params": self.params}

    def blobs(self, prefix: str) -> dict[str, bytes]:
        return {prefix: self.model_bytes}

    @classmethod
    def restore(cls, state: dict, estimators: dict, blobs: dict, prefix: str) -> CRFTagger:
        t = cls()
        t.params = dict(state["params"])
        t.model_bytes = blobs[prefix]
        return t


def restore_tagger(state: dict, estimators: dict, blobs: dict, prefix: str):
    cls = CRFTagger if state["kind"] == "crf" else LinearTagger
    return cls.restore(state, estimators, blobs, prefix)


def bio_spans(labels: Sequence[str]) -> list[tuple[int, int, str]]:
    """(start, end, label) from BIO tags; an I- without its B- starts a span (conlleval rule)."""
    out = []
    cur = None
    for k, lab in enumerate(labels):
        if lab.startswith("B-") or (lab.startswith("I-") and (cur is None or cur[2] != lab[2:])):
            if cur:
                out.append(tuple(cur))
            cur = [k, k + 1, lab[2:]]
        elif lab.startswith("I-") and cur is not None:
            cur[1] = k + 1
        else:
            if cur:
                out.append(tuple(cur))
            cur = None
    if cur:
        out.append(tuple(cur))
    return out
