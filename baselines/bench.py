"""`tally bench`: train every baseline on the bundled train split, predict dev and test, score
them with the harness (bootstrap CIs), set them beside human agreement and write the board.

Everything is deterministic for a seed: the same seed gives byte-identical prediction files.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from tally.schema.jsonl import write_jsonl
from tally.schema.models import Document, Prediction

SYSTEM_ORDER = ("rules", "linear", "crf")
# Metrics shown in the bench tables, headline first (names of tally.eval.METRICS).
TABLE_METRICS = (
    "tally_strict", "tally_soft", "trigger_classification", "argument_classification",
    "number_span", "number_value", "number_bounds", "number_kind", "number_event_link",
    "attribution", "factuality", "coreference_b3",
)


@dataclass
class BenchResult:
    out_dir: Path
    scores: dict = field(default_factory=dict)     # split -> system -> report JSON
    subsets: dict = field(default_factory=dict)    # name -> system -> report JSON
    timings: dict = field(default_factory=dict)    # system -> {"train_s", "predict_s"}
    board_files: dict = field(default_factory=dict)


def _value(metric: dict) -> float | None:
    return metric["accuracy"] if metric["kind"] == "accuracy" else metric["f1"]


def _metadata(system: str) -> dict:
    return {
        "system": f"baseline-{system}",
        "authors": ["Tally maintainers"],
        "date": dt.date.today().isoformat(),
        "code_url": "https://github.com/tally-bench/tally",
        "external_data": False,
        "llm": None,
        "description": f"Tally reference system `{system}` trained by `tally bench` on the "
                       "bundled train split.",
    }


def run_bench(out_dir: Path, *, data_dir: Path | None = None, systems=SYSTEM_ORDER, seed: int = 0,
              bootstrap: int = 1000, train_fraction: float = 1.0,
              on_progress: Callable[[str, int, int], None] | None = None) -> BenchResult:
    """Train, predict, score and write the board under `out_dir` (created; must be empty)."""
    from tally.baselines import predict, save_model, train_system
    from tally.baselines.corpus import documents_hash
    from tally.data import DATA_DIR, load_split
    from tally.data.agreement import as_prediction, load_second
    from tally.eval import evaluate
    from tally.eval.leaderboard import build

    data_dir = Path(data_dir or DATA_DIR)
    tick = on_progress or (lambda *_: None)
    splits = {sp: load_split(sp, data_dir) for sp in ("train", "dev", "test")}
    train = splits["train"]
    if train_fraction < 1.0:
        train = subsample(train, train_fraction, seed)
    result = BenchResult(out_dir)
    preds: dict[str, dict[str, list[Prediction]]] = {}
    for name in systems:
        t0 = time.perf_counter()
        done = [0]

        def step(name=name, done=done) -> None:
            done[0] += 1
            tick(f"train {name}", done[0], len(train))

        model = train_system(name, train, seed=seed, progress=step)
        t1 = time.perf_counter()
        save_model(model, out_dir / "models" / name, train_hash=documents_hash(train),
                   n_train=len(train), seed=seed, dev_scores={}, overwrite=True)
        preds[name] = {}
        for sp in ("dev", "test"):
            n = [0]

            def pstep(k: int, name=name, sp=sp, n=n) -> None:
                n[0] += k
                tick(f"predict {name} {sp}", n[0], len(splits[sp]))

            preds[name][sp] = predict(model, splits[sp], progress=pstep)
        t2 = time.perf_counter()
        result.timings[name] = {"train_s": round(t1 - t0, 2), "predict_s": round(t2 - t1, 2)}
        sub = out_dir / "submissions" / f"baseline-{name}"
        sub.mkdir(parents=True, exist_ok=True)
        (sub / "metadata.yaml").write_text(yaml.safe_dump(_metadata(name), sort_keys=False))
        for sp in ("dev", "test"):
            write_jsonl(sub / f"{sp}.jsonl", preds[name][sp], overwrite=True)
    # The board: every system on dev and test, with bootstrap CIs.
    built = build(out_dir / "submissions", [data_dir / "dev.jsonl", data_dir / "test.jsonl"],
                  out_dir / "board", bootstrap=bootstrap, seed=seed)
    result.board_files = {k: str(v) for k, v in built.files.items()}
    for sp in ("dev", "test"):
        result.scores[sp] = {
            name: evaluate(splits[sp], preds[name][sp], bootstrap=bootstrap, seed=seed).to_json()
            for name in systems}
    # Out-of-distribution: test documents of conflicts absent from train, and the rest.
    for subset, keep in (("test_unseen_conflict", lambda d: d.unseen_conflict),
                         ("test_seen_conflict", lambda d: not d.unseen_conflict)):
        gold = [d for d in splits["test"] if keep(d)]
        ids = {d.id for d in gold}
        if gold:
            result.subsets[subset] = {
                name: evaluate(gold, [p for p in preds[name]["test"] if p.id in ids],
                               bootstrap=bootstrap, seed=seed).to_json() for name in systems}
    # Human agreement on the double-annotated dev/test documents, systems on the same documents.
    held_out = {d.id: d for sp in ("dev", "test") for d in splits[sp]}
    folder = data_dir / "agreement"
    if folder.exists():
        second = load_second({d.id: d for sp in splits.values() for d in sp}, folder)
        second = [d for d in second if d.id in held_out]
        if second:
            gold = [held_out[d.id] for d in second]
            ids = {d.id for d in gold}
            table = {"human": evaluate(gold, [as_prediction(d) for d in second],
                                       bootstrap=bootstrap, seed=seed).to_json()}
            for name in systems:
                mine = [p for sp in ("dev", "test") for p in preds[name][sp] if p.id in ids]
                table[name] = evaluate(gold, mine, bootstrap=bootstrap, seed=seed).to_json()
            result.subsets["double_annotated_dev_test"] = table
    write_report(result, systems)
    return result


def subsample(docs: list[Document], fraction: float, seed: int) -> list[Document]:
    """A deterministic fraction of the training documents, whole story clusters at a time."""
    import random

    stories = sorted({d.story for d in docs})
    random.Random(seed).shuffle(stories)
    keep: set[str] = set()
    want = max(1, round(len(docs) * fraction))
    count = 0
    per = {s: sum(1 for d in docs if d.story == s) for s in stories}
    for s in stories:
        if count >= want:
            break
        keep.add(s)
        count += per[s]
    return [d for d in docs if d.story in keep]


def _table(title: str, reports: dict[str, dict]) -> list[str]:
    names = list(reports)
    lines = [f"### {title}", "", "| metric | " + " | ".join(names) + " |",
             "|---|" + "---:|" * len(names)]
    for metric in TABLE_METRICS:
        cells = []
        for name in names:
            m = reports[name]["metrics"][metric]
            v = _value(m)
            if v is None:
                cells.append("n/a")
            elif m.get("ci_low") is not None:
                cells.append(f"{v:.3f} [{m['ci_low']:.3f}, {m['ci_high']:.3f}]")
            else:
                cells.append(f"{v:.3f}")
        lines.append(f"| {metric} | " + " | ".join(cells) + " |")
    docs = next(iter(reports.values()))["documents"]["scored"]
    return lines + ["", f"{docs} documents; 95% bootstrap CI over documents.", ""]


def report_markdown(result: BenchResult, systems=SYSTEM_ORDER) -> str:
    first = result.scores["test"][systems[0]]
    lines = ["# Tally bench", "",
             f"scorer {first['scorer_version']} · dataset {first['dataset_version']} · "
             f"regime {first['regime']} · bootstrap {first['options']['bootstrap']} "
             f"(seed {first['options']['seed']})", ""]
    lines += _table("Test", result.scores["test"])
    lines += _table("Dev", result.scores["dev"])
    titles = {"test_unseen_conflict": "Test, unseen conflicts (out of distribution)",
              "test_seen_conflict": "Test, conflicts seen in train",
              "double_annotated_dev_test":
                  "Human agreement vs systems (double-annotated dev and test documents)"}
    for key, reports in result.subsets.items():
        lines += _table(titles.get(key, key), reports)
    lines += ["### Time", "", "| system | train (s) | predict dev+test (s) |", "|---|---:|---:|"]
    lines += [f"| {n} | {t['train_s']} | {t['predict_s']} |" for n, t in result.timings.items()]
    return "\n".join(lines) + "\n"


def write_report(result: BenchResult, systems=SYSTEM_ORDER) -> None:
    out = result.out_dir
    payload = {"scores": result.scores, "subsets": result.subsets, "timings": result.timings,
               "board_files": result.board_files}
    (out / "bench.json").write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
    (out / "BENCH.md").write_text(report_markdown(result, systems), encoding="utf-8")
