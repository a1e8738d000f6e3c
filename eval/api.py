"""evaluate / evaluate_file / compare: the scorer's entry points."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tally.eval.columnar import score_file
from tally.eval.facts import SOFT_TOLERANCE_DECADES
from tally.eval.fast import FastAccumulator, score_exact
from tally.eval.gold_index import GoldIndexColumns, columnar_gold
from tally.eval.loading import (
    GoldDocuments,
    GoldEntry,
    SubmissionChecker,
    gc_paused,
    gold_index,
    gold_sha256,
    iter_plain_predictions,
    missing_problems,
)
from tally.eval.plain import PDoc, from_model
from tally.eval.report import BREAKDOWN_BY, Comparison, Report, confusion_json
from tally.eval.scoring import COLUMNS, METRIC_NAMES, Accumulator, score_document
from tally.eval.spans import TOKEN_F1_THRESHOLD, check_regime
from tally.eval.stats import bootstrap_ci, figures, paired_tests
from tally.eval.version import COMPARISON_SCHEMA, HEADLINE, METRICS, REPORT_SCHEMA, SCORER_VERSION
from tally.schema.diagnostics import TallyError
from tally.schema.models import FORMAT_VERSION, Document, Prediction
from tally.schema.ontology import load_ontology


@dataclass(frozen=True, slots=True)
class GoldSummary:
    """What a report says of the gold it was scored against."""

    n_docs: int
    sha256: str
    hydrated: bool


def _dataset_version(explicit: str | None) -> str:
    if explicit:
        return explicit
    try:
        import tally.data as data

        return str(getattr(data, "DATASET_VERSION", "unversioned"))
    except ImportError:  # pragma: no cover - tally.data ships with the package
        return "unversioned"


def _check_options(regime: str, bootstrap: int, ci: float) -> None:
    check_regime(regime)
    if bootstrap < 0:
        raise TallyError(f"bootstrap must be >= 0, got {bootstrap}")
    if not 0 < ci < 1:
        raise TallyError(f"ci must be between 0 and 1, got {ci}")


def _accumulator(regime: str, errors: int, tolerance: float, reference: bool
                 ) -> Accumulator | FastAccumulator:
    """The fast path covers the default case (exact regime, no error listing); the reference
    path (scoring.py) everything else. Both give the same report (tests/test_eval_fast.py)."""
    if regime == "exact" and not errors and not reference:
        return FastAccumulator(regime, 0, tolerance)
    return Accumulator(regime, errors, tolerance)


def _score_all(index: dict[str, GoldEntry], preds: Iterable[PDoc],
               acc: Accumulator | FastAccumulator) -> tuple[np.ndarray, list[str], int]:
    """Score the stream, then the missing gold docs as empty; rows come back in gold order."""
    fast = isinstance(acc, FastAccumulator)
    # A prepared gold's gold-side counts are added once, after the loop (GoldIndex).
    totals = getattr(index, "gold_counts", None) if fast else None
    per_doc = totals is None
    order: list[int] = []
    seen: set[str] = set()
    for p in preds:
        g = index.get(p.id)
        if g is None:
            raise TallyError(f"prediction for unknown document id {p.id!r}")
        if p.id in seen:
            raise TallyError(f"document {p.id!r} predicted twice")
        seen.add(p.id)
        order.append(g.index)
        if fast:
            score_exact(g.prep, p, acc, per_doc)
        else:
            score_document(g.doc, p, acc)
    missing = [i for i, g in index.items() if i not in seen]
    for i in missing:
        g = index[i]
        order.append(g.index)
        if fast:
            score_exact(g.prep, PDoc(i, None), acc, per_doc)
        else:
            score_document(g.doc, PDoc(i, None), acc)
    if totals is not None:
        acc.counts.update(totals)
    rows = acc.matrix()
    # Gold order makes the bootstrap independent of the order of the submission's lines.
    inv = np.empty(len(order), dtype=np.int64)
    inv[np.asarray(order, dtype=np.int64)] = np.arange(len(order))
    return rows[inv], missing, len(seen)


def _metric_json(name: str, summed: np.ndarray, acc: Accumulator,
                 ci: tuple[float | None, float | None]) -> dict:
    md = METRICS[name]
    k = METRIC_NAMES.index(name) * COLUMNS
    out = {"kind": md.kind, "title": md.title, **figures(md.kind, summed[k:k + COLUMNS]),
           "ci_low": ci[0], "ci_high": ci[1]}
    by = BREAKDOWN_BY.get(name)
    rows_in = acc.breakdown.get(name, {})
    if by:
        rows = {}
        for label in sorted(rows_in):
            r = rows_in[label]
            if md.kind == "accuracy":
                f = figures("accuracy", [0, 0, r[2], r[3]])
                rows[label] = {"accuracy": f["accuracy"], "correct": r[2], "total": r[3]}
            else:
                rows[label] = figures("f1", r)
        out["breakdown"] = {"by": by, "rows": rows}
        if md.kind == "f1" and rows:
            vals = list(rows.values())
            out["macro"] = {"over": by, "labels": len(vals), **{
                key: float(np.mean([v[key] or 0.0 for v in vals]))
                for key in ("precision", "recall", "f1")}}
    return out


def _gold_summary(gold: list[Document]) -> GoldSummary:
    return GoldSummary(len(gold), gold_sha256(gold), all(d.text is not None for d in gold))


def _build_report(acc: Accumulator, rows: np.ndarray, gold: GoldSummary, missing: list[str],
                  n_pred: int, regime: str, bootstrap: int, seed: int, ci: float,
                  dataset_version: str | None) -> Report:
    summed = rows.sum(0) if len(rows) else np.zeros(len(METRIC_NAMES) * COLUMNS)
    cis = bootstrap_ci(rows, bootstrap, seed, ci)
    metrics = {m: _metric_json(m, summed, acc, cis[m]) for m in METRIC_NAMES}
    h = metrics[HEADLINE]
    data = {
        "schema": REPORT_SCHEMA,
        "scorer": "tally.eval",
        "scorer_version": SCORER_VERSION,
        "format_version": FORMAT_VERSION,
        "ontology_version": load_ontology().version,
        "dataset_version": _dataset_version(dataset_version),
        "gold_sha256": gold.sha256,
        "regime": regime,
        "options": {"regime": regime, "bootstrap": bootstrap, "seed": seed, "ci": ci,
                    "soft_tolerance_decades": acc.tolerance,
                    "token_f1_threshold": TOKEN_F1_THRESHOLD,
                    "gold_hydrated": gold.hydrated},
        "documents": {"gold": gold.n_docs, "predicted": n_pred, "scored": len(rows),
                      "missing": missing},
        "headline": {"metric": HEADLINE, "f1": h["f1"], "ci_low": h["ci_low"],
                     "ci_high": h["ci_high"]},
        "metrics": metrics,
        "duplicates": {k: int(acc.duplicates[k]) for k in
                       ("events", "arguments", "numbers", "facts_unlinked_repeats")},
        "confusion": confusion_json(acc.confusion),
    }
    if acc.errors_per_layer:
        data["errors"] = acc.errors
    return Report(data)


def _plain_preds(preds: Iterable[Prediction | PDoc], index: dict[str, GoldEntry]):
    """Convert and check predictions given as objects (the library path)."""
    checker = SubmissionChecker(index, "<predictions>")
    for k, p in enumerate(preds):
        plain = p if isinstance(p, PDoc) else from_model(p)
        if not checker.check(plain, k + 1):
            raise TallyError(checker.problems)
        yield plain


def evaluate(gold: list[Document], preds: Iterable[Prediction], *, regime: str = "exact",
             bootstrap: int = 1000, seed: int = 0, ci: float = 0.95, errors: int = 0,
             dataset_version: str | None = None,
             soft_tolerance: float = SOFT_TOLERANCE_DECADES, reference: bool = False) -> Report:
    """Score predictions against gold. Gold documents without a prediction count as empty
    (listed in the report's `documents.missing`). `preds` is consumed once.

    `reference=True` scores with the simple reference path (scoring.py) instead of the exact-regime
    fast path (fast.py): same report, slower; kept to check the fast path against."""
    _check_options(regime, bootstrap, ci)
    with gc_paused():  # as in evaluate_file
        index = gold_index(gold)
        acc = _accumulator(regime, errors, soft_tolerance, reference)
        rows, missing, n_pred = _score_all(index, _plain_preds(preds, index), acc)
    return _build_report(acc, rows, _gold_summary(gold), missing, n_pred, regime, bootstrap,
                         seed, ci, dataset_version)


def evaluate_file(gold: list[Document], path: str | Path, *, allow_missing: bool = False,
                  regime: str = "exact", bootstrap: int = 1000, seed: int = 0, ci: float = 0.95,
                  errors: int = 0, dataset_version: str | None = None,
                  soft_tolerance: float = SOFT_TOLERANCE_DECADES,
                  reference: bool = False) -> Report:
    """Read a submission file, check it against the gold and score it: the columnar path (in
    pieces, `columnar.score_file`) for the exact regime without error listings, else, or when
    that path declines the file, the per-document path line by line.

    Every problem of the file is collected and raised as one TallyError (nothing is scored then).
    `reference` as in `evaluate`.
    """
    _check_options(regime, bootstrap, ci)
    if not Path(path).is_file():
        raise TallyError(f"{path}: no such prediction file")
    if regime == "exact" and not errors and not reference:
        gi = (gold.columnar() if isinstance(gold, GoldDocuments)
              else columnar_gold(gold))
        report = _evaluate_columnar(gi, path, allow_missing, bootstrap, seed, ci,
                                    _dataset_version(dataset_version), soft_tolerance)
        if report is not None:
            return report
    # Everything made while scoring is acyclic and freed by reference counting when the inner
    # call returns, before the collector is back (see gc_paused).
    with gc_paused():
        return _evaluate_file(gold, path, allow_missing, regime, bootstrap, seed, ci, errors,
                              dataset_version, soft_tolerance, reference)


def _evaluate_file(gold: list[Document], path: str | Path, allow_missing: bool, regime: str,
                   bootstrap: int, seed: int, ci: float, errors: int,
                   dataset_version: str | None, soft_tolerance: float, reference: bool
                   ) -> Report:
    index = gold_index(gold)
    checker = SubmissionChecker(index, str(path))
    acc = _accumulator(regime, errors, soft_tolerance, reference)
    stream = (p for p, _ in iter_plain_predictions(path, checker))
    # The checker refuses unknown and duplicate ids before they reach _score_all.
    rows, missing, n_pred = _score_all(index, stream, acc)
    if not allow_missing:
        checker.problems.extend(checker.missing_problems())
    if checker.problems:
        raise TallyError(checker.problems)
    return _build_report(acc, rows, _gold_summary(gold), missing, n_pred, regime, bootstrap,
                         seed, ci, dataset_version)


def _evaluate_columnar(gi: GoldIndexColumns, path: str | Path, allow_missing: bool,
                       bootstrap: int, seed: int, ci: float, version: str,
                       soft_tolerance: float) -> Report | None:
    """The columnar path's report, or None when its reader cannot vouch for the file."""
    scored = score_file(gi, path, soft_tolerance)
    if scored is None:
        return None
    acc, rows, missing, n_pred = scored
    if missing and not allow_missing:
        raise TallyError(missing_problems(str(path), missing))
    return _build_report(acc, rows, index_summary(gi), missing, n_pred, "exact", bootstrap,
                         seed, ci, version)


def index_summary(gi: GoldIndexColumns) -> GoldSummary:
    """What a report says of a gold index (`gold_index.GoldIndexColumns`)."""
    return GoldSummary(gi.columns.n_docs, gi.sha256, gi.hydrated)


def evaluate_index(gi: GoldIndexColumns, path: str | Path, *, allow_missing: bool = False,
                   regime: str = "exact", bootstrap: int = 1000, seed: int = 0,
                   ci: float = 0.95, errors: int = 0, dataset_version: str | None = None,
                   soft_tolerance: float = SOFT_TOLERANCE_DECADES,
                   reference: bool = False) -> Report:
    """`evaluate_file` against a gold index (`gold_index.load_gold_index`): the columnar path.

    When the columnar reader cannot vouch for the submission (a problem, or a shape it does not
    read), or for another regime, error listings or `reference`, the gold documents kept in the
    index are loaded and `evaluate_file` scores, or names every problem: same report."""
    _check_options(regime, bootstrap, ci)
    if not Path(path).is_file():
        raise TallyError(f"{path}: no such prediction file")
    version = dataset_version or gi.dataset_version
    if regime == "exact" and not errors and not reference:
        report = _evaluate_columnar(gi, path, allow_missing, bootstrap, seed, ci, version,
                                    soft_tolerance)
        if report is not None:
            return report
    return evaluate_file(gi.documents(), path, allow_missing=allow_missing, regime=regime,
                         bootstrap=bootstrap, seed=seed, ci=ci, errors=errors,
                         dataset_version=version, soft_tolerance=soft_tolerance,
                         reference=reference)


def _rows_for(index, preds, regime, tolerance, reference: bool = False) -> np.ndarray:
    acc = _accumulator(regime, 0, tolerance, reference)
    rows, _, _ = _score_all(index, _plain_preds(preds, index), acc)
    return rows


def compare(gold: list[Document], preds_a: Iterable[Prediction], preds_b: Iterable[Prediction],
            *, regime: str = "exact", bootstrap: int = 1000, permutations: int = 1000,
            seed: int = 0, ci: float = 0.95, metrics: list[str] | None = None,
            names: tuple[str, str] = ("A", "B"), dataset_version: str | None = None,
            soft_tolerance: float = SOFT_TOLERANCE_DECADES, reference: bool = False
            ) -> Comparison:
    """Paired comparison of two systems on the same gold: difference A − B of each metric's main
    figure, its paired-bootstrap CI and p-value, and the approximate-randomization p-value."""
    _check_options(regime, bootstrap, ci)
    if permutations < 0:
        raise TallyError(f"permutations must be >= 0, got {permutations}")
    chosen = metrics or METRIC_NAMES
    unknown = [m for m in chosen if m not in METRICS]
    if unknown:
        raise TallyError(f"unknown metrics {unknown}; expected some of {METRIC_NAMES}")
    index = gold_index(gold)
    ra = _rows_for(index, preds_a, regime, soft_tolerance, reference)
    rb = _rows_for(index, preds_b, regime, soft_tolerance, reference)
    tests = paired_tests(ra, rb, bootstrap, permutations, seed, ci)
    sa, sb = ra.sum(0), rb.sum(0)
    out = {}
    for m in chosen:
        k = METRIC_NAMES.index(m) * COLUMNS
        kind = METRICS[m].kind
        main = "accuracy" if kind == "accuracy" else "f1"
        out[m] = {"a": figures(kind, sa[k:k + COLUMNS])[main],
                  "b": figures(kind, sb[k:k + COLUMNS])[main], **tests[m]}
    return Comparison({
        "schema": COMPARISON_SCHEMA, "scorer": "tally.eval", "scorer_version": SCORER_VERSION,
        "format_version": FORMAT_VERSION, "ontology_version": load_ontology().version,
        "dataset_version": _dataset_version(dataset_version), "gold_sha256": gold_sha256(gold),
        "regime": regime, "systems": list(names), "documents": len(gold),
        "options": {"regime": regime, "bootstrap": bootstrap, "permutations": permutations,
                    "seed": seed, "ci": ci, "soft_tolerance_decades": soft_tolerance},
        "headline": HEADLINE, "metrics": out,
    })
