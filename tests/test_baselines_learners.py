"""The vectorized decoders: `viterbi_batch` against brute force and against the padded
formulation it replaced, the CRF's own decoding against crfsuite's tagger, the sparse feature
vocabulary against its COO construction, and the chunked map of
`tally.baselines.parallel`."""

from __future__ import annotations

import itertools
import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tally.baselines.learned import LinearSystem
from tally.baselines.learners import CRFTagger, Vocab, viterbi_batch
from tally.baselines.parallel import chunk_bounds, fork_available, map_chunks
from tally.baselines.tokens import tokenize
from tally.data import load_split


def _brute(scores: np.ndarray, trans: np.ndarray, start: np.ndarray) -> float:
    n, c = scores.shape
    best = -np.inf
    for path in itertools.product(range(c), repeat=n):
        s = start[path[0]] + sum(scores[t, y] for t, y in enumerate(path))
        s += sum(trans[a, b] for a, b in itertools.pairwise(path))
        best = max(best, s)
    return best


def _path_score(path, scores, trans, start) -> float:
    return (start[path[0]] + sum(scores[t, y] for t, y in enumerate(path))
            + sum(trans[a, b] for a, b in itertools.pairwise(path)))


@settings(max_examples=40, deadline=None)
@given(lens=st.lists(st.integers(0, 4), min_size=1, max_size=6), seed=st.integers(0, 10**6),
       chunk=st.integers(1, 4))
def test_viterbi_batch_finds_the_best_path_of_every_sequence(lens, seed, chunk):
    rng = np.random.default_rng(seed)
    c = 3
    scores = rng.normal(size=(sum(lens), c))
    trans, start = rng.normal(size=(c, c)), rng.normal(size=c)
    paths = viterbi_batch(scores, lens, trans, start, chunk=chunk)
    k = 0
    for n, path in zip(lens, paths, strict=True):
        assert len(path) == n
        if n:
            got = _path_score(path, scores[k : k + n], trans, start)
            assert got == pytest.approx(_brute(scores[k : k + n], trans, start))
        k += n


def _viterbi_padded_reference(scores, lens, trans, start) -> list[list[int]]:
    """The formulation `viterbi_batch` replaced: sequences padded into [seq, time, label],
    back-pointers from an argmax over axis 1 of [seq, prev, cur] at every step."""
    lens_a = np.asarray(lens, dtype=np.int64)
    n_seq, n_lab = len(lens_a), scores.shape[1]
    width = int(lens_a.max()) if n_seq else 0
    if width == 0:
        return [[] for _ in lens]
    mask = np.arange(width)[None, :] < lens_a[:, None]
    pad = np.zeros((n_seq, width, n_lab))
    pad[mask] = scores
    best = pad[:, 0] + start
    back = np.zeros((n_seq, width, n_lab), dtype=np.int64)
    for t in range(1, width):
        cand = best[:, :, None] + trans[None]
        arg = cand.argmax(axis=1)
        new = np.take_along_axis(cand, arg[:, None, :], axis=1)[:, 0] + pad[:, t]
        best = np.where(mask[:, t, None], new, best)
        back[:, t] = arg
    paths = np.zeros((n_seq, width), dtype=np.int64)
    cur = best.argmax(axis=1)
    rows = np.arange(n_seq)
    for t in range(width - 1, -1, -1):
        live = mask[:, t]
        paths[live, t] = cur[live]
        if t:
            cur = np.where(live, back[rows, t, cur], cur)
    return [paths[k, : lens_a[k]].tolist() for k in range(n_seq)]


@settings(max_examples=200, deadline=None)
@given(lens=st.lists(st.integers(0, 9), max_size=12), seed=st.integers(0, 10**6),
       labels=st.integers(1, 6), chunk=st.integers(1, 5), ties=st.booleans())
def test_viterbi_batch_equals_the_padded_formulation(lens, seed, labels, chunk, ties):
    """Same paths, label for label, ties included (rounded scores tie often): the forward pass
    keeps maxima only and the backtrace recomputes the argmax, from the same sums."""
    rng = np.random.default_rng(seed)
    scores = rng.normal(size=(sum(lens), labels))
    trans, start = rng.normal(size=(labels, labels)), rng.normal(size=labels)
    if ties:
        scores, trans, start = np.round(scores), np.round(trans), np.round(start)
    assert viterbi_batch(scores, lens, trans, start, chunk=chunk) == \
        _viterbi_padded_reference(scores, lens, trans, start)


def test_crf_decoding_matches_crfsuite():
    """Our sparse-product + viterbi_batch decoding gives crfsuite's own tagger's labels, and
    the padded formulation's paths on the same real scores."""
    import pycrfsuite

    docs = load_split("train")[:20]
    system = LinearSystem()
    X, Y = [], []
    from tally.baselines.learned import _Gold

    for d in docs:
        g = _Gold(d)
        labels = g.span_labels()
        for s0, s1 in g.tok.sent_bounds:
            X.append(system.feat.sentence(g.tok, s0, s1))
            Y.append(labels[s0:s1])
    crf = CRFTagger(max_iterations=15)
    crf.fit(X, Y)
    tagger = pycrfsuite.Tagger()
    tagger.open_inmemory(crf.model_bytes)
    test = load_split("dev")[:5]
    seqs = []
    for d in test:
        tok = tokenize(d.text)
        seqs += [system.feat.sentence(tok, s0, s1) for s0, s1 in tok.sent_bounds]
    ours = crf.tag(seqs)
    theirs = [tagger.tag(x) for x in seqs]
    same = sum(a == b for a, b in zip(ours, theirs, strict=True))
    assert same == len(seqs)
    vocab, weights, _, trans = crf._open()
    scores = vocab.transform([f for x in seqs for f in x], binary=False) @ weights
    lens, start = [len(x) for x in seqs], np.zeros(len(trans))
    assert viterbi_batch(scores, lens, trans, start) == \
        _viterbi_padded_reference(scores, lens, trans, start)


def test_vocab_drops_unseen_features_and_counts_repeats_on_request():
    v = Vocab().fit([["a", "b"], ["c"]])
    m = v.transform([["a", "zzz", "a"], [], ["c", "b"]])
    assert m.shape == (3, 3)
    assert m.toarray().tolist() == [[1, 0, 0], [0, 0, 0], [0, 1, 1]]
    assert v.transform([["a", "a"]], binary=False).toarray().tolist() == [[2, 0, 0]]


def _transform_reference(vocab: Vocab, X, binary: bool = True):
    """The COO construction `Vocab.transform` replaced."""
    from itertools import chain, repeat

    from scipy import sparse

    idx = vocab.index
    flat = list(chain.from_iterable(X))
    cols = np.fromiter(map(idx.get, flat, repeat(-1)), dtype=np.int64, count=len(flat))
    rows = np.repeat(np.arange(len(X)), [len(f) for f in X])
    keep = cols >= 0
    m = sparse.csr_matrix((np.ones(int(keep.sum())), (rows[keep], cols[keep])),
                          shape=(len(X), max(len(idx), 1)))
    m.sum_duplicates()
    if binary:
        m.data[:] = 1.0
    return m


def _same_csr(a, b) -> bool:
    return a.shape == b.shape and all(np.array_equal(getattr(a, k), getattr(b, k))
                                      for k in ("indptr", "indices", "data"))


@settings(max_examples=100, deadline=None)
@given(known=st.lists(st.sampled_from("abcdefg"), unique=True),
       X=st.lists(st.lists(st.sampled_from("abcdefghij"), max_size=6), max_size=6),
       binary=st.booleans())
def test_vocab_transform_equals_the_coo_construction(known, X, binary):
    """The same canonical CSR arrays (sorted columns, repeats merged), so a product with the
    weights sums in the same order and gives the same scores, bit for bit."""
    v = Vocab({f: k for k, f in enumerate(known)})
    assert _same_csr(v.transform(X, binary), _transform_reference(v, X, binary))


def test_vocab_transform_equals_the_coo_construction_on_real_features():
    system = LinearSystem()
    X = []
    for d in load_split("dev")[:8]:
        tok = tokenize(d.text)
        X += [f for s0, s1 in tok.sent_bounds for f in system.feat.sentence(tok, s0, s1)]
    v = Vocab().fit(X[::2])  # half the features unseen
    weights = np.random.default_rng(0).normal(size=(len(v.index), 5))
    for binary in (True, False):
        new, old = v.transform(X, binary), _transform_reference(v, X, binary)
        assert _same_csr(new, old)
        assert np.array_equal(new @ weights, old @ weights)


@settings(max_examples=200, deadline=None)
@given(weights=st.lists(st.integers(0, 50), max_size=30), n=st.integers(1, 8))
def test_chunk_bounds_cover_the_input_in_order_without_empty_chunks(weights, n):
    bounds = chunk_bounds(weights, n)
    assert len(bounds) == min(n, len(weights))
    assert [i for a, b in bounds for i in range(a, b)] == list(range(len(weights)))
    assert all(b > a for a, b in bounds)


def test_chunk_bounds_balance_the_weights():
    bounds = chunk_bounds([1] * 90 + [10] * 10, 2)  # the work sits at the end: 100 | 90
    assert bounds == [(0, 91), (91, 100)]


@pytest.mark.parametrize("jobs", [1, 2, 3])
def test_map_chunks_concatenates_in_input_order(jobs):
    items = list(range(257))
    seen = []
    offset = 1000  # a closure: the workers are forked, nothing is pickled to them
    out = map_chunks(lambda part: [(x + offset, os.getpid()) for x in part], items, jobs,
                     chunk_size=16, progress=seen.append)
    assert [x for x, _ in out] == [x + offset for x in items]
    assert sum(seen) == len(items) and len(seen) == len(chunk_bounds(items, len(seen)))
    pids = {p for _, p in out}
    if jobs > 1 and fork_available():  # (one fast worker may take every chunk)
        assert os.getpid() not in pids and len(pids) <= jobs
    else:
        assert pids == {os.getpid()}


def test_map_chunks_raises_the_workers_error():
    def boom(part):
        if 40 in part:
            raise ValueError("document 40")
        return part

    with pytest.raises(ValueError, match="document 40"):
        map_chunks(boom, list(range(100)), 2, chunk_size=10)
    assert map_chunks(lambda p: p, [], 2) == []


def test_featurizer_fast_path_has_the_general_forms_features():
    """The window-2 hot path (padded window lists) yields, per token, the features of the
    general form, also for windows of 1-3 tokens and windows starting mid-sentence."""
    from collections import Counter

    from tally.baselines.features import Featurizer

    fast = Featurizer({"killed": "hi", "said": "lo"})
    general = Featurizer(fast.lexicon, window=2)
    for d in load_split("dev")[:10]:
        tok = tokenize(d.text)
        windows = [w for s0, s1 in tok.sent_bounds  # whole sentences and parts of them
                   for w in [(s0, s1), (s0 + 1, s1), *[(s0, min(s1, s0 + n)) for n in (1, 2, 3)]]
                   if w[0] < w[1]]
        for i0, i1 in windows:
            got = fast.sentence(tok, i0, i1)
            want = general._sentence_any(tok, i0, i1)
            assert [Counter(f) for f in got] == [Counter(f) for f in want]
