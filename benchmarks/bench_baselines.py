"""Speed of the baselines: training time on the full train split, prediction throughput
(documents/s, tokens/s, wall and CPU) and peak resident memory, each as a ratio against peers
measured in the same run: the `rules` system, and `logreg-tagger`, a plain scikit-learn
LogisticRegression token tagger over the same span features as `linear`/`crf` (argmax per
token; it predicts spans only, no other layer).

    python benchmarks/bench_baselines.py [--data data] [--split dev,test] [--repeat 1]
        [--out benchmarks/results/bench_baselines.json]

Each system runs in a fresh process (so peak RSS is its own, and word-feature caches start
cold); models are loaded and warmed on two training documents before the timed prediction
(one process: BLAS is limited to one thread, so the second core stays free).
Targets (issue 5): the strongest system trains in < 60 s and predicts >= 50k tokens/s on 2 cores.
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


def _measure(name: str, data: str, splits: list[str], repeat: int) -> dict:
    """Runs in a child process: train on the full train split, then time one prediction pass."""
    from threadpoolctl import threadpool_limits

    from tally.baselines import load_documents, predict, train_system
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

    def run(batch):
        if name == PEER:
            with threadpool_limits(limits=1):
                return model.predict(batch)
        return predict(model, batch)

    run(train[:2])  # load lazily built weights; the input documents stay unseen
    t0, c0 = time.perf_counter(), time.process_time()
    run(docs)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {"system": name, "train_s": train_s, "train_cpu_s": train_cpu,
            "predict_s": wall, "predict_cpu_s": cpu, "docs": len(docs), "tokens": n_tokens,
            "train_documents": len(train), "docs_per_s": len(docs) / wall,
            "tokens_per_s": n_tokens / wall, "cpu_tokens_per_s": n_tokens / cpu,
            "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="data", help="Folder with train/dev/test.jsonl.")
    ap.add_argument("--split", default="dev,test", help="Splits to predict (comma-separated).")
    ap.add_argument("--repeat", type=int, default=1, help="Predict the input this many times.")
    ap.add_argument("--systems", default="rules,linear,crf")
    ap.add_argument("--out", default="benchmarks/results/bench_baselines.json")
    args = ap.parse_args()
    names = [PEER] + [s for s in args.systems.split(",") if s]
    ctx = get_context("spawn")
    rows = {}
    for name in names:
        with ProcessPoolExecutor(max_workers=1, mp_context=ctx) as pool:
            rows[name] = pool.submit(_measure, name, args.data, args.split.split(","),
                                     args.repeat).result()
        r = rows[name]
        print(f"{name:14s} train {r['train_s']:6.2f} s  predict {r['tokens_per_s']:8.0f} tok/s "
              f"({r['cpu_tokens_per_s']:.0f} CPU)  peak {r['peak_mib']:.0f} MiB", flush=True)
    base, peer = rows.get("rules"), rows[PEER]
    out_rows = []
    for r in map(dict, rows.values()):
        r["vs_rules"] = r["tokens_per_s"] / base["tokens_per_s"] if base else float("nan")
        r["vs_logreg"] = r["tokens_per_s"] / peer["tokens_per_s"]
        r["train_vs_logreg"] = r["train_s"] / peer["train_s"]
        out_rows.append(r)
    learned = [r for r in out_rows if r["system"] in ("linear", "crf")]
    strongest = "crf" if any(r["system"] == "crf" for r in learned) else None
    targets = None
    if strongest:
        r = next(r for r in out_rows if r["system"] == strongest)
        targets = {"system": strongest, "train_s": r["train_s"], "train_ok": r["train_s"] < 60,
                   "tokens_per_s": r["tokens_per_s"], "cpu_tokens_per_s": r["cpu_tokens_per_s"],
                   "speed_ok": r["tokens_per_s"] >= 50_000}
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    result = {
        "command": "python " + " ".join(["benchmarks/bench_baselines.py", *sys.argv[1:]]),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python "
                   f"{platform.python_version()}, load average {load:.1f} at the end",
        "train_documents": peer["train_documents"], "predict_documents": peer["docs"],
        "predict_tokens": peer["tokens"], "rows": out_rows, "targets": targets,
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(f"{'system':14s} {'train s':>8s} {'docs/s':>8s} {'tokens/s':>9s} {'peak MiB':>9s} "
          f"{'vs rules':>9s} {'vs logreg':>10s}")
    for r in out_rows:
        print(f"{r['system']:14s} {r['train_s']:8.2f} {r['docs_per_s']:8.1f} "
              f"{r['tokens_per_s']:9.0f} {r['peak_mib']:9.1f} {r['vs_rules']:9.2f} "
              f"{r['vs_logreg']:10.2f}")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
