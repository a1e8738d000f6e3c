"""Speed of the baselines: training time on a train file, prediction throughput (documents/s and
tokens/s) and peak traced memory, with ratios against the `rules` system measured in the same run.

    python benchmarks/bench_baselines.py [--train data/train.jsonl] [--input data/dev.jsonl]
        [--repeat 3]

Targets (issue 5): the strongest system trains in < 60 s on the full train split and predicts
>= 50k tokens/s on 2 cores. Prediction input is repeated `--repeat` times to time a larger batch.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

from tally.baselines import SYSTEMS, load_documents, predict, train_system
from tally.baselines.tokens import tokenize


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--train", default="data/train.jsonl")
    ap.add_argument("--input", default="data/dev.jsonl")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    train = load_documents(args.train)
    docs = load_documents(args.input) * args.repeat
    n_tokens = sum(len(tokenize(d.text)) for d in docs)
    print(f"train: {len(train)} docs; predict: {len(docs)} docs, {n_tokens} tokens")
    rows = {}
    for name in SYSTEMS:
        tracemalloc.start()
        t0 = time.perf_counter()
        model = train_system(name, train, seed=0)
        t_train = time.perf_counter() - t0
        predict(model, docs[:2])  # warm caches
        t0 = time.perf_counter()
        predict(model, docs)
        t_pred = time.perf_counter() - t0
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        rows[name] = (t_train, len(docs) / t_pred, n_tokens / t_pred, peak)
    base = rows["rules"]
    print(f"{'system':8s} {'train s':>8s} {'docs/s':>8s} {'tokens/s':>10s} {'peak MiB':>9s} "
          f"{'tok/s vs rules':>15s}")
    for name, (tt, dps, tps, peak) in rows.items():
        print(f"{name:8s} {tt:8.2f} {dps:8.1f} {tps:10.0f} {peak:9.1f} {tps / base[2]:15.2f}")


if __name__ == "__main__":
    main()
