"""Figures from summed counts, document-level bootstrap CIs, paired tests (vectorised numpy).

Resampling sums per-document count rows (weights @ rows), so no document is ever rescored.
"""

from __future__ import annotations

import numpy as np

from tally.eval.scoring import COLUMNS, METRIC_NAMES
from tally.eval.version import METRICS

_CELLS = 4_000_000  # resample weights built in chunks of about this many cells


def _div(a: float, b: float, undefined: bool) -> float | None:
    if b:
        return a / b
    return None if undefined else 0.0


def figures(kind: str, c: np.ndarray | list[float]) -> dict:
    """P, R, F1 (and accuracy) from one metric's 4 summed columns; None where 0/0."""
    c0, c1, c2, c3 = (float(x) for x in c)
    if kind == "b_cubed":
        p = _div(c1, c0, True)
        r = _div(c2, c0, True)
        f = None if p is None else (2 * p * r / (p + r) if p + r else 0.0)
        return {"precision": p, "recall": r, "f1": f, "gold": c0, "predicted": c0,
                "matched": None}
    g, pr, m = c0, c1, c2
    out = {"precision": _div(m, pr, g == 0), "recall": _div(m, g, pr == 0),
           "f1": _div(2 * m, g + pr, True), "gold": g, "predicted": pr, "matched": m}
    if kind == "accuracy":
        out.update(accuracy=_div(m, c3, True), correct=m, total=c3)
    return out


def main_figure(kind: str, s: np.ndarray) -> np.ndarray:
    """The headline figure of a metric for many summed rows at once (s: R x 4); nan if 0/0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if kind == "accuracy":
            return s[:, 2] / s[:, 3]
        if kind == "b_cubed":
            p, r = s[:, 1] / s[:, 0], s[:, 2] / s[:, 0]
            f = 2 * p * r / (p + r)
            return np.where((p + r) == 0, 0.0, f)
        return 2 * s[:, 2] / (s[:, 0] + s[:, 1])


def all_main_figures(sums: np.ndarray) -> np.ndarray:
    """(R x K*4) summed rows -> (R x K) main figures, metric order of METRIC_NAMES."""
    cols = []
    for k, name in enumerate(METRIC_NAMES):
        cols.append(main_figure(METRICS[name].kind, sums[:, k * COLUMNS:(k + 1) * COLUMNS]))
    return np.stack(cols, axis=1)


def _weights(rng: np.random.Generator, n: int, count: int):
    """Yield chunks of bootstrap weight matrices (how often each document is drawn)."""
    chunk = max(1, min(count, _CELLS // max(n, 1)))
    done = 0
    while done < count:
        k = min(chunk, count - done)
        idx = rng.integers(0, n, size=(k, n))
        idx += (np.arange(k) * n)[:, None]
        yield np.bincount(idx.ravel(), minlength=k * n).reshape(k, n).astype(np.float64)
        done += k


def _quantiles(x: np.ndarray, ci: float) -> tuple[np.ndarray, np.ndarray]:
    lo_q, hi_q = (1 - ci) / 2, (1 + ci) / 2
    with np.errstate(all="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return np.nanquantile(x, lo_q, axis=0), np.nanquantile(x, hi_q, axis=0)


def bootstrap_ci(rows: np.ndarray, resamples: int, seed: int, ci: float
                 ) -> dict[str, tuple[float | None, float | None]]:
    """Percentile CI of every metric's main figure, resampling documents (rows)."""
    if resamples <= 0 or rows.shape[0] == 0:
        return {m: (None, None) for m in METRIC_NAMES}
    rng = np.random.default_rng(seed)
    figs = [all_main_figures(w @ rows) for w in _weights(rng, rows.shape[0], resamples)]
    lo, hi = _quantiles(np.concatenate(figs, axis=0), ci)
    return {m: (_f(lo[k]), _f(hi[k])) for k, m in enumerate(METRIC_NAMES)}


def _f(x: float) -> float | None:
    return None if np.isnan(x) else float(x)


def paired_tests(rows_a: np.ndarray, rows_b: np.ndarray, resamples: int, permutations: int,
                 seed: int, ci: float) -> dict[str, dict]:
    """Paired bootstrap (CI of the difference, shifted p) and approximate randomization."""
    n = rows_a.shape[0]
    obs = all_main_figures(rows_a.sum(0)[None, :])[0] - all_main_figures(rows_b.sum(0)[None, :])[0]
    rng = np.random.default_rng(seed)
    diffs = []
    for w in _weights(rng, n, resamples) if resamples > 0 and n else ():
        diffs.append(all_main_figures(w @ rows_a) - all_main_figures(w @ rows_b))
    rng2 = np.random.default_rng([seed, 1])
    delta = rows_b - rows_a
    tot_a, tot_b = rows_a.sum(0), rows_b.sum(0)
    ar_hits = np.zeros(len(METRIC_NAMES))
    ar_valid = np.zeros(len(METRIC_NAMES))
    done = 0
    chunk = max(1, _CELLS // max(n, 1))
    while done < permutations and n:
        k = min(chunk, permutations - done)
        swap = rng2.integers(0, 2, size=(k, n)).astype(np.float64)
        moved = swap @ delta
        d = all_main_figures(tot_a + moved) - all_main_figures(tot_b - moved)
        with np.errstate(invalid="ignore"):
            ar_hits += np.nansum(np.abs(d) >= np.abs(obs) - 1e-12, axis=0)
        ar_valid += (~np.isnan(d)).sum(0)
        done += k
    out = {}
    boot = np.concatenate(diffs, axis=0) if diffs else np.empty((0, len(METRIC_NAMES)))
    lo, hi = _quantiles(boot, ci) if len(boot) else (None, None)
    for k, m in enumerate(METRIC_NAMES):
        o = obs[k]
        entry = {"difference": _f(o), "ci_low": None, "ci_high": None,
                 "p_bootstrap": None, "p_randomization": None}
        if not np.isnan(o):
            if len(boot):
                col = boot[:, k]
                col = col[~np.isnan(col)]
                entry["ci_low"], entry["ci_high"] = _f(lo[k]), _f(hi[k])
                if len(col):
                    hits = np.sum(np.abs(col - o) >= abs(o) - 1e-12)
                    entry["p_bootstrap"] = float((hits + 1) / (len(col) + 1))
            if ar_valid[k]:
                entry["p_randomization"] = float((ar_hits[k] + 1) / (ar_valid[k] + 1))
        out[m] = entry
    return out
