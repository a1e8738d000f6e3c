"""The vectorized decoders: `viterbi_batch` against brute force, the CRF's own decoding against
crfsuite's tagger, and the sparse feature vocabulary."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tally.baselines.learned import LinearSystem
from tally.baselines.learners import CRFTagger, Vocab, viterbi_batch
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


def test_crf_decoding_matches_crfsuite():
    """Our sparse-product + viterbi_batch decoding gives crfsuite's own tagger's labels."""
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


def test_vocab_drops_unseen_features_and_counts_repeats_on_request():
    v = Vocab().fit([["a", "b"], ["c"]])
    m = v.transform([["a", "zzz", "a"], [], ["c", "b"]])
    assert m.shape == (3, 3)
    assert m.toarray().tolist() == [[1, 0, 0], [0, 0, 0], [0, 1, 1]]
    assert v.transform([["a", "a"]], binary=False).toarray().tolist() == [[2, 0, 0]]
