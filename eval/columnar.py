"""The columnar scorer: every exact-regime metric over all documents at once.

Predictions are read by pyarrow straight into arrays (`columnar_read`), the gold comes as arrays
too (`gold_index`), and the metrics are computed with numpy (`columnar_score` for triggers,
arguments, numbers, links, factuality, attribution and coreference; `columnar_facts` for the
Tally F1). It gives the report of the per-document path (fast.py), bit for bit:
tests/test_columnar_api.py compares whole reports on the real corpus. Where it cannot vouch for
a submission (any problem, or a shape it does not read), the per-document path runs instead and
names every problem.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import numpy as np

from tally.eval.columnar_facts import GoldFacts, score_facts
from tally.eval.columnar_read import (
    PIECE_BYTES,
    ColumnarPredictions,
    Declined,
    iter_pieces,
    read_piece,
)
from tally.eval.columnar_score import score_layers
from tally.eval.columns import I64, Columns, from_pdocs, take_docs
from tally.eval.fast import FastAccumulator
from tally.eval.gold_index import GoldIndexColumns
from tally.eval.scoring import COLUMNS, METRIC_NAMES


def _score(gold: Columns, gold_facts: GoldFacts | None, pred: Columns, order: np.ndarray,
           tolerance: float, acc: FastAccumulator) -> np.ndarray:
    """Rows of the documents of `gold`/`pred` (same document numbering); breakdowns into
    `acc`. `order`: those documents in scoring order (the soft-credit sums depend on it)."""
    rows = np.zeros((gold.n_docs, len(METRIC_NAMES) * COLUMNS))
    fact_counts: Counter = Counter()
    fact_dups: Counter = Counter()
    # The two halves write disjoint columns of `rows` and their own counters, and spend most
    # of their time in numpy, which releases the GIL: one thread each (0.9 s against 1.6 s in
    # sequence at 100k documents on 2 cores).
    with ThreadPoolExecutor(2) as pool:
        layers = pool.submit(score_layers, gold, pred, rows, acc.counts, acc.confusion,
                             acc.duplicates)
        facts = pool.submit(score_facts, gold, pred, order, tolerance, rows, fact_counts,
                            acc.credit, fact_dups, gold_facts=gold_facts)
        layers.result()
        facts.result()
    acc.counts.update(fact_counts)
    acc.duplicates.update(fact_dups)
    return rows


def score_columnar(gold: GoldIndexColumns, pred: ColumnarPredictions, tolerance: float
                   ) -> tuple[FastAccumulator, np.ndarray]:
    """The accumulated breakdowns and the per-document rows (gold order) of a submission
    already read whole (`read_predictions`)."""
    acc = FastAccumulator("exact", 0, tolerance)
    rows = _score(gold.columns, gold.facts(), pred.columns, pred.order, tolerance, acc)
    return acc, rows


def _next_piece(pieces: Iterator, gold: GoldIndexColumns) -> tuple[Columns, np.ndarray] | None:
    data = next(pieces, None)
    return None if data is None else read_piece(data, gold)


def score_file(gold: GoldIndexColumns, path: str | Path, tolerance: float,
               piece_bytes: int = PIECE_BYTES
               ) -> tuple[FastAccumulator, np.ndarray, list[str], int] | None:
    """Read, check and score a submission piece by piece (memory bounded by the piece, not the
    file): breakdowns, rows in gold order, the missing documents' ids and the number of
    predicted documents; None when the reader cannot vouch for the file.

    Documents are independent, so each piece is scored against the gold rows of its own
    documents; the soft-credit sums continue from piece to piece in file order, and the gold
    documents without a prediction come last, in gold order, as in the per-document path."""
    n = gold.columns.n_docs
    acc = FastAccumulator("exact", 0, tolerance)
    # Filled, not np.zeros: every page is made now (one row per gold document, kept for the
    # bootstrap), not as documents are scored, so memory does not follow the submission.
    rows = np.full((n, len(METRIC_NAMES) * COLUMNS), 0.0)
    seen = np.zeros(n, np.bool_)
    n_pred = 0
    # The next piece is read and checked while this one is scored (one piece ahead).
    with ThreadPoolExecutor(1) as reader:
        pieces = iter_pieces(path, piece_bytes)
        ahead = reader.submit(_next_piece, pieces, gold)
        try:
            while (got := ahead.result()) is not None:
                ahead = reader.submit(_next_piece, pieces, gold)
                cols, gdoc = got
                if seen[gdoc].any():  # predicted twice: the per-document path names the lines
                    return None
                seen[gdoc] = True
                n_pred += len(gdoc)
                docs = np.sort(gdoc)
                pred = replace(cols, n_docs=len(docs), **{
                    f: np.searchsorted(docs, getattr(cols, f))
                    for f in ("ev_doc", "num_doc", "time_doc", "rel_doc")})
                rows[docs] = _score(take_docs(gold.columns, docs, gold.offsets()), None, pred,
                                    np.searchsorted(docs, gdoc), tolerance, acc)
        except (Declined, OSError):  # the per-document path names the problem
            return None
        finally:
            ahead.cancel()
    missing = np.flatnonzero(~seen)
    step = max(1, piece_bytes >> 13)  # about as many documents as a piece holds
    for k in range(0, len(missing), step):
        docs = missing[k:k + step]
        rows[docs] = _score(take_docs(gold.columns, docs, gold.offsets()), None,
                            from_pdocs([None] * len(docs)), np.arange(len(docs), dtype=I64),
                            tolerance, acc)
    return acc, rows, [gold.ids[i] for i in missing.tolist()], n_pred
