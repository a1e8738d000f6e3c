"""Speed of the baselines: training time on the full train split, prediction throughput
(documents/s, tokens/s, wall and CPU) in one process and with 2 worker processes, and peak
resident memory, each as a ratio against peers measured in the same run: the `rules` system,
and `logreg-tagger`, a plain scikit-learn LogisticRegression token tagger over the same span
features as `linear`/`crf` (argmax per token; it predicts spans only, no other layer).

    python benchmarks/bench_baselines.py [--data data] [--split dev,test] [--repeat 3]
        [--jobs 2] [--systems rules,linear,crf] [--out benchmarks/results/bench_baselines.json]

Each system runs in a fresh process (so peak RSS is its own, and word-feature caches start
cold); models are trained, then warmed on two training documents. The input is the splits
repeated `--repeat` times (a longer pass is steadier; repeats meet warm word caches). From that
same warmed state, two timed passes: first `predict(..., jobs=N)` (forked workers, which do not
change this process's caches), timed from before the workers are forked until they are joined,
so start-up, sending results back and shutdown all count, its CPU being this process's plus
its workers' (read after a pause, so threads left spinning count too); then
`predict(..., jobs=1)` in this process. BLAS runs one thread everywhere.
`startup_s` is the same N-worker map with no work in it (fork, dispatch, join).
Targets (issue 5): the strongest system trains in < 60 s and predicts >= 50k tokens/s on 2
cores: judged on the 2-worker figure, with the one-process figure reported beside it.
`tally bench --results baselines/RESULTS.md` includes the JSON this writes.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

PEER = "logreg-tagger"
SETTLE_S = 0.5


class LogRegTagger:
    """The peer: LogisticRegression over Featurizer span features, one label per token."""

    name = PEER

    def fit(self, docs, seed: int = 0) -> LogRegTagger:
        from sklearn.linear_model import LogisticRegression

        from tally.baselines.learned import _Gold, lexicon_featurizer
        from tally.baselines.learners import Vocab

        gold = [_Gold(d) for d in docs]
        self.feat = lexicon_featurizer(gold)
        X, y = [], []
        for g in gold:
            labels = g.span_labels()
            for s0, s1 in g.tok.sent_bounds:
                X += self.feat.sentence(g.tok, s0, s1)
                y += labels[s0:s1]
        self.vocab = Vocab().fit(X)
        self.model = LogisticRegression(max_iter=300, random_state=seed)
        self.model.fit(self.vocab.transform(X), y)
        return self

    def predict(self, docs) -> list[list[str]]:
        from tally.baselines.tokens import tokenize

        out = []
        for d in docs:
            tok = tokenize(d.text)
            X = [f for s0, s1 in tok.sent_bounds for f in self.feat.sentence(tok, s0, s1)]
            out.append(list(self.model.predict(self.vocab.transform(X))) if X else [])
        return out


def _mode(wall: float, cpu: float, docs: int, tokens: int, jobs: int) -> dict:
    return {"jobs": jobs, "predict_s": wall, "predict_cpu_s": cpu, "docs_per_s": docs / wall,
            "tokens_per_s": tokens / wall, "cpu_tokens_per_s": tokens / cpu}


def _cpu() -> float:
    """CPU seconds of this process and of its reaped children (the joined workers; those come
    in clock ticks, 10 ms, so this process's own time is read at full resolution)."""
    t = os.times()
    return time.process_time() + t.children_user + t.children_system


def _measure(name: str, data: str, splits: list[str], repeat: int, jobs: int) -> dict:
    """Runs in a child process: train on the full train split, then time the prediction passes
    (`jobs` workers, then one process) from the same warmed state."""
    from threadpoolctl import threadpool_limits

    from tally.baselines import load_documents, predict, train_system
    from tally.baselines.parallel import map_chunks
    from tally.baselines.tokens import tokenize

    # Unvalidated reading (speed does not need the validator, and works mid-rebuild).
    train = load_documents(Path(data) / "train.jsonl")
    docs = [d for sp in splits for d in load_documents(Path(data) / f"{sp}.jsonl")] * repeat
    n_tokens = sum(len(tokenize(d.text)) for d in docs)
    t0, c0 = time.perf_counter(), time.process_time()
    if name == PEER:
        with threadpool_limits(limits=1):
            model = LogRegTagger().fit(train)
    else:
        model = train_system(name, train, seed=0)
    train_s, train_cpu = time.perf_counter() - t0, time.process_time() - c0

    def run(batch, n_jobs: int):
        if name == PEER:  # the same chunks and workers as `predict(..., jobs=n)`
            with threadpool_limits(limits=1):
                return map_chunks(model.predict, batch, n_jobs,
                                  weights=[len(d.text) for d in batch])
        return predict(model, batch, jobs=n_jobs)

    run(train[:2], 1)  # load lazily built weights; the input documents stay unseen
    if name != PEER:
        model.prepare()
    modes = {}
    for key, n_jobs in (("workers", jobs), ("single", 1)):
        t0, c0 = time.perf_counter(), _cpu()
        out = run(docs, n_jobs)
        wall = time.perf_counter() - t0
        # CPU is read after a pause, so threads a pass leaves spinning count in it: restoring
        # the BLAS thread count after a fork restarts OpenBLAS's threads (~0.1 s busy-wait).
        time.sleep(SETTLE_S)
        modes[key] = _mode(wall, _cpu() - c0, len(docs), n_tokens, n_jobs)
        assert len(out) == len(docs)
    t0 = time.perf_counter()
    map_chunks(lambda part: [None] * len(part), docs, jobs, weights=[len(d.text) for d in docs])
    modes["workers"]["startup_s"] = time.perf_counter() - t0
    # the largest worker, counting the pages it shares with this process
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    modes["workers"]["worker_peak_mib"] = children.ru_maxrss / 1024
    return {"system": name, "train_s": train_s, "train_cpu_s": train_cpu, "docs": len(docs),
            "tokens": n_tokens, "train_documents": len(train), "repeat": repeat,
            "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, **modes}


def _load() -> float:
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="data", help="Folder with train/dev/test.jsonl.")
    ap.add_argument("--split", default="dev,test", help="Splits to predict (comma-separated).")
    ap.add_argument("--repeat", type=int, default=3, help="Predict the input this many times.")
    ap.add_argument("--jobs", type=int, default=2, help="Workers of the parallel pass.")
    ap.add_argument("--systems", default="rules,linear,crf")
    ap.add_argument("--out", default="benchmarks/results/bench_baselines.json")
    args = ap.parse_args()
    names = [PEER] + [s for s in args.systems.split(",") if s]
    ctx = get_context("spawn")
    load_start = _load()
    rows = {}
    for name in names:
        with ProcessPoolExecutor(max_workers=1, mp_context=ctx) as pool:
            rows[name] = pool.submit(_measure, name, args.data, args.split.split(","),
                                     args.repeat, args.jobs).result()
        r = rows[name]
        print(f"{name:14s} train {r['train_s']:6.2f} s  predict "
              f"{r['single']['tokens_per_s']:8.0f} tok/s in 1 process, "
              f"{r['workers']['tokens_per_s']:8.0f} with {args.jobs} workers  "
              f"peak {r['peak_mib']:.0f} MiB", flush=True)
    base, peer = rows.get("rules"), rows[PEER]
    out_rows = []
    for r in map(dict, rows.values()):
        for key in ("single", "workers"):
            m = r[key] = dict(r[key])
            m["vs_rules"] = m["tokens_per_s"] / base[key]["tokens_per_s"] if base else float("nan")
            m["vs_logreg"] = m["tokens_per_s"] / peer[key]["tokens_per_s"]
        r["train_vs_logreg"] = r["train_s"] / peer["train_s"]
        out_rows.append(r)
    targets = None
    if "crf" in rows:  # the strongest system
        r = next(r for r in out_rows if r["system"] == "crf")
        targets = {"system": "crf", "train_s": r["train_s"], "train_ok": r["train_s"] < 60,
                   "jobs": args.jobs, "tokens_per_s": r["workers"]["tokens_per_s"],
                   "cpu_tokens_per_s": r["workers"]["cpu_tokens_per_s"],
                   "single_tokens_per_s": r["single"]["tokens_per_s"],
                   "single_cpu_tokens_per_s": r["single"]["cpu_tokens_per_s"],
                   "speed_ok": r["workers"]["tokens_per_s"] >= 50_000}
    result = {
        "command": "python " + " ".join(["benchmarks/bench_baselines.py", *sys.argv[1:]]),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python "
                   f"{platform.python_version()}, load average {load_start:.1f} at the start, "
                   f"{_load():.1f} at the end",
        "train_documents": peer["train_documents"], "predict_documents": peer["docs"],
        "predict_tokens": peer["tokens"], "repeat": args.repeat, "jobs": args.jobs,
        "rows": out_rows, "targets": targets,
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(f"{'system':14s} {'train s':>8s} {'mode':>9s} {'docs/s':>8s} {'tokens/s':>9s} "
          f"{'CPU tok/s':>10s} {'vs rules':>9s} {'vs logreg':>10s}")
    for r in out_rows:
        for key in ("single", "workers"):
            m = r[key]
            print(f"{r['system']:14s} {r['train_s']:8.2f} {m['jobs']:>7d} j {m['docs_per_s']:8.1f} "
                  f"{m['tokens_per_s']:9.0f} {m['cpu_tokens_per_s']:10.0f} {m['vs_rules']:9.2f} "
                  f"{m['vs_logreg']:10.2f}")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
