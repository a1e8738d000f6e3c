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
    best: str | None = None                        # highest tally_strict on dev
    per_type: list = field(default_factory=list)   # best system, test, by event type
    errors: list = field(default_factory=list)     # best system, test, top error kinds
    curve: dict | None = None                      # learning_curve(...)
    tokens: dict = field(default_factory=dict)     # split -> tokens (for throughput)


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
              bootstrap: int = 1000, train_fraction: float = 1.0, curve: bool = False,
              on_progress: Callable[[str, int, int], None] | None = None) -> BenchResult:
    """Train, predict, score and write the board under `out_dir` (created; must be empty).
    `curve` adds the learning curve (every system retrained on 10/25/50/100% of train)."""
    from tally.baselines import predict, save_model, train_system
    from tally.baselines.corpus import documents_hash
    from tally.data import DATA_DIR, load_split
    from tally.data.agreement import as_prediction, load_first, load_second
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
            # "human": the second annotation against the first as it stood before adjudication
            # (independent annotations: the honest ceiling). Against the adjudicated gold it is
            # optimistic, because adjudication adopted many of the second annotator's choices.
            every = {d.id: d for sp in splits.values() for d in sp}
            first = {d.id: d for d in load_first(every, folder)}
            table = {
                "human": evaluate([first.get(d.id, held_out[d.id]) for d in second],
                                  [as_prediction(d) for d in second],
                                  bootstrap=bootstrap, seed=seed).to_json(),
                "human_vs_adjudicated": evaluate(gold, [as_prediction(d) for d in second],
                                                 bootstrap=bootstrap, seed=seed).to_json(),
            }
            for name in systems:
                mine = [p for sp in ("dev", "test") for p in preds[name][sp] if p.id in ids]
                table[name] = evaluate(gold, mine, bootstrap=bootstrap, seed=seed).to_json()
            result.subsets["double_annotated_dev_test"] = table
    # The best system (chosen on dev): per-type scores and most frequent errors on test.
    result.best = best_system(result)
    result.per_type = per_type_rows(result.scores["test"][result.best])
    result.errors = top_errors(splits["test"], preds[result.best]["test"])
    from tally.baselines.tokens import tokenize

    result.tokens = {sp: sum(len(tokenize(d.text)) for d in splits[sp]) for sp in ("dev", "test")}
    if curve:
        result.curve = learning_curve(splits, systems, seed=seed, on_progress=tick)
        plot_learning_curve(result.curve, out_dir / "learning_curve.png")
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
    lines += details_markdown(result)
    lines += ["### Time", "", "| system | train (s) | predict dev+test (s) |", "|---|---:|---:|"]
    lines += [f"| {n} | {t['train_s']} | {t['predict_s']} |" for n, t in result.timings.items()]
    return "\n".join(lines) + "\n"


def _f(v: float | None) -> str:
    return "n/a" if v is None else f"{v:.3f}"


def details_markdown(result: BenchResult, png: str = "learning_curve.png") -> list[str]:
    """Human gap, per-type scores and top errors of the best system, and the learning curve."""
    lines: list[str] = []
    human = result.subsets.get("double_annotated_dev_test")
    if human and "human" in human:
        names = [n for n in human if not n.startswith("human")]
        lines += ["### Gap to human agreement (double-annotated dev and test documents)", "",
                  "Human = the blind second annotation scored against the first annotation as it "
                  "stood before adjudication (two independent annotations); systems are scored "
                  "against the adjudicated gold. Human minus system; positive = the system is "
                  "below the human. (The second annotation scored against the adjudicated gold "
                  "is in the table above as `human_vs_adjudicated`: optimistic, since "
                  "adjudication adopted many of its choices.)", "",
                  "| metric | human | " + " | ".join(f"gap {n}" for n in names) + " |",
                  "|---|---:|" + "---:|" * len(names)]
        for metric in TABLE_METRICS:
            h = _value(human["human"]["metrics"][metric])
            gaps = []
            for n in names:
                v = _value(human[n]["metrics"][metric])
                gaps.append("n/a" if h is None or v is None else f"{h - v:+.3f}")
            lines.append(f"| {metric} | {_f(h)} | " + " | ".join(gaps) + " |")
        lines.append("")
    if result.best:
        lines += [f"### Per event type: `{result.best}` on test (best tally_strict on dev)", "",
                  "| type | gold triggers | trigger F1 | gold counts | count-link F1 "
                  "| gold facts | tally F1 |", "|---|---:|---:|---:|---:|---:|---:|"]
        for r in result.per_type:
            lines.append(
                f"| {r['type']} | {r['trigger_classification_gold']} "
                f"| {_f(r['trigger_classification'])} | {r['number_event_link_gold']} "
                f"| {_f(r['number_event_link'])} | {r['tally_strict_gold']} "
                f"| {_f(r['tally_strict'])} |")
        lines += ["", f"### Ten most frequent error kinds: `{result.best}` on test", "",
                  "From the scorer's full error listing (`evaluate(..., errors=N)`); the kind is "
                  "layer, error and, for triggers and arguments, the gold or predicted type.", "",
                  "| # | error kind | count | share | example |", "|---:|---|---:|---:|---|"]
        for k, e in enumerate(result.errors, start=1):
            example = e["example"].replace("|", "\\|")
            lines.append(f"| {k} | {e['kind']} | {e['count']} | {e['share']:.1%} | "
                         f"{example} |")
        lines.append("")
    if result.curve:
        c = result.curve
        names = list(c["points"])
        lines += [f"### Learning curve ({c['split']}, F1)", "", f"![learning curve]({png})", "",
                  "| train | documents | " + " | ".join(f"{n} tally / trigger" for n in names)
                  + " |", "|---:|---:|" + "---:|" * len(names)]
        for k, frac in enumerate(c["fractions"]):
            pts = [c["points"][n][k] for n in names]
            lines.append(f"| {frac:.0%} | {pts[0]['documents']} | " + " | ".join(
                f"{_f(p['tally_strict'])} / {_f(p['trigger_classification'])}" for p in pts)
                + " |")
        lines.append("")
    return lines


def write_report(result: BenchResult, systems=SYSTEM_ORDER) -> None:
    out = result.out_dir
    payload = {"scores": result.scores, "subsets": result.subsets, "timings": result.timings,
               "board_files": result.board_files, "best": result.best,
               "per_type": result.per_type, "errors": result.errors, "curve": result.curve,
               "tokens": result.tokens}
    (out / "bench.json").write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
    (out / "BENCH.md").write_text(report_markdown(result, systems), encoding="utf-8")


# -- the best system's details: per-type scores and its most frequent errors -------------------

PER_TYPE_METRICS = ("trigger_classification", "number_event_link", "tally_strict")


def best_system(result: BenchResult) -> str:
    """The system with the highest tally_strict on dev (chosen on dev, reported on test)."""
    dev = result.scores["dev"]
    return max(dev, key=lambda n: (dev[n]["metrics"]["tally_strict"]["f1"] or 0.0, n))


def per_type_rows(report: dict) -> list[dict]:
    """One row per event type: gold count and F1 of the PER_TYPE_METRICS breakdowns."""
    metrics = report["metrics"]
    types = sorted({t for m in PER_TYPE_METRICS
                    for t in metrics[m].get("breakdown", {}).get("rows", {})})
    rows = []
    for t in types:
        row: dict = {"type": t}
        for m in PER_TYPE_METRICS:
            r = metrics[m].get("breakdown", {}).get("rows", {}).get(t)
            row[m] = r["f1"] if r else None
            row[f"{m}_gold"] = int(r["gold"]) if r else 0
        rows.append(row)
    return sorted(rows, key=lambda r: (-r["trigger_classification_gold"], r["type"]))


def error_kind(err: dict) -> str:
    """A coarse error kind: layer and error, plus the event type (triggers) or type.role
    (arguments), whose description starts the scorer's `item`."""
    kind = f"{err['layer']} {err['error']}"
    if err["layer"] in ("trigger", "argument"):
        kind += f" {err['item'].split(' ', 1)[0]}"
    return kind


def top_errors(gold: list[Document], preds: list[Prediction], n: int = 10) -> list[dict]:
    """The n most frequent error kinds in the scorer's full error listing, with an example."""
    from collections import Counter

    from tally.eval import evaluate

    errors = evaluate(gold, preds, bootstrap=0, errors=10**7).to_json()["errors"]
    counts = Counter(error_kind(e) for e in errors)
    first: dict[str, dict] = {}
    for e in errors:
        first.setdefault(error_kind(e), e)
    return [{"kind": k, "count": c, "share": c / len(errors), "example": first[k]["item"],
             "doc_id": first[k]["doc_id"]}
            for k, c in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:n]]


# -- learning curve --------------------------------------------------------------------------

CURVE_FRACTIONS = (0.1, 0.25, 0.5, 1.0)


def learning_curve(splits: dict[str, list[Document]], systems, seed: int = 0,
                   fractions=CURVE_FRACTIONS, split: str = "test",
                   on_progress: Callable[[str, int, int], None] | None = None) -> dict:
    """tally_strict and trigger_classification F1 on `split` after training on story-level
    subsamples of train (`subsample`, the same stories for every system)."""
    from tally.baselines import predict, train_system
    from tally.eval import evaluate

    tick = on_progress or (lambda *_: None)
    gold = splits[split]
    points: dict[str, list[dict]] = {name: [] for name in systems}
    total = len(fractions) * len(systems)
    done = 0
    for frac in fractions:
        train = subsample(splits["train"], frac, seed) if frac < 1 else splits["train"]
        for name in systems:
            model = train_system(name, train, seed=seed)
            m = evaluate(gold, predict(model, gold), bootstrap=0).to_json()["metrics"]
            points[name].append({"fraction": frac, "documents": len(train),
                                 "tally_strict": m["tally_strict"]["f1"],
                                 "trigger_classification": m["trigger_classification"]["f1"]})
            done += 1
            tick("learning curve", done, total)
    return {"split": split, "seed": seed, "fractions": list(fractions), "points": points}


def plot_learning_curve(curve: dict, path: Path) -> Path:
    """Two panels (tally F1, trigger F1) against training documents; a deterministic PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(9, 3.6), sharex=True)
    for ax, metric, title in ((axes[0], "tally_strict", "Tally F1 (tally_strict)"),
                              (axes[1], "trigger_classification", "Trigger F1 (classification)")):
        for name, pts in curve["points"].items():
            ax.plot([p["documents"] for p in pts], [p[metric] or 0.0 for p in pts], marker="o",
                    label=name)
        ax.set_title(title)
        ax.set_xlabel("training documents (10/25/50/100% of train, whole stories)")
        ax.set_ylim(0, 1)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel(f"F1 on {curve['split']}")
    axes[0].legend(loc="lower right")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    # No "Software"/date metadata: the same curve gives the same bytes.
    fig.savefig(path, dpi=100, metadata={"Software": None})
    plt.close(fig)
    return path


# -- baselines/RESULTS.md --------------------------------------------------------------------

def write_results(result: BenchResult, path: Path, systems=SYSTEM_ORDER, *, command: str,
                  speed: dict | None = None) -> Path:
    """The generated results page: every table of the bench, the learning curve (PNG copied
    next to `path`) and the speed benchmark's figures (`speed`: its JSON, if it was run)."""
    import shutil

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    first = result.scores["test"][systems[0]]
    png = "learning_curve.png"
    if result.curve:
        shutil.copyfile(result.out_dir / png, path.parent / png)
    lines = ["# Tally baselines: results", "",
             "Generated; do not edit. Produced by:", "", "```", command, "```", "",
             f"scorer {first['scorer_version']} · dataset {first['dataset_version']} · "
             f"regime {first['regime']} · {first['options']['bootstrap']} bootstrap resamples "
             f"(seed {first['options']['seed']}), 95% CIs over documents · systems trained on "
             "the whole train split.", ""]
    titles = {"test_unseen_conflict": "Test, unseen conflicts (conflicts absent from train)",
              "double_annotated_dev_test":
                  "Human agreement vs systems (double-annotated dev and test documents)"}
    lines += _table("Test", result.scores["test"])
    for key, title in titles.items():
        if key in result.subsets:
            lines += _table(title, result.subsets[key])
    lines += details_markdown(result, png)
    lines += ["### Time in this run", "",
              "| system | train (s) | predict dev+test (s) | tokens/s (wall, incl. loading) |",
              "|---|---:|---:|---:|"]
    n_tok = sum(result.tokens.values())
    for n, t in result.timings.items():
        tps = f"{n_tok / t['predict_s']:.0f}" if t["predict_s"] else "n/a"
        lines.append(f"| {n} | {t['train_s']} | {t['predict_s']} | {tps} |")
    lines.append("")
    if speed:
        lines += speed_markdown(speed)
    else:
        lines += ["Speed benchmark not run: `python benchmarks/bench_baselines.py` writes "
                  "`benchmarks/results/bench_baselines.json`, which this page then includes.", ""]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def speed_markdown(speed: dict) -> list[str]:
    """The table of benchmarks/bench_baselines.py (its JSON output): each system in one process
    and with its worker processes."""
    jobs = speed["jobs"]
    lines = ["### Speed (benchmarks/bench_baselines.py)", "", "```", speed["command"], "```", "",
             f"{speed['machine']}; train on {speed['train_documents']} documents; predict "
             f"{speed['predict_documents']} documents ({speed['predict_tokens']} tokens: the "
             f"input repeated {speed['repeat']} times), in one process and with {jobs} forked "
             "workers (timed from the fork to the join; CPU includes the workers'). Ratios are "
             "against peers measured in the same run and mode: `rules`, and `logreg-tagger` (a "
             "plain scikit-learn LogisticRegression token tagger over the same span features "
             "as `linear`/`crf`, argmax per token, no other layers).", "",
             "| system | processes | train (s) | docs/s | tokens/s | CPU tokens/s "
             "| peak RSS MiB | tokens/s vs rules | tokens/s vs logreg-tagger "
             "| train time vs logreg-tagger |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in speed["rows"]:
        for key, peak in (("single", r["peak_mib"]), ("workers", r["workers"]["worker_peak_mib"])):
            m = r[key]
            lines.append(
                f"| {r['system']} | {m['jobs']} | {r['train_s']:.2f} | {m['docs_per_s']:.1f} | "
                f"{m['tokens_per_s']:.0f} | {m['cpu_tokens_per_s']:.0f} | {peak:.1f} | "
                f"{m['vs_rules']:.2f} | {m['vs_logreg']:.2f} | {r['train_vs_logreg']:.2f} |")
    lines += ["", f"Peak RSS of a worker counts the pages it shares with its parent. Starting "
              f"and joining {jobs} workers with no work in them took "
              f"{max(r['workers']['startup_s'] for r in speed['rows']):.2f} s at most."]
    t = speed.get("targets")
    if t:
        lines += ["", f"Targets (issue 5): strongest system (`{t['system']}`) trains in < 60 s: "
                  f"{'met' if t['train_ok'] else 'NOT met'} ({t['train_s']:.1f} s); predicts "
                  f">= 50k tokens/s on {t['jobs']} cores: "
                  f"{'met' if t['speed_ok'] else 'NOT met'} ({t['tokens_per_s']:.0f} tokens/s "
                  f"with {t['jobs']} workers, {t['cpu_tokens_per_s']:.0f} per CPU second; "
                  f"{t['single_tokens_per_s']:.0f} tokens/s in one process)."]
    return lines + [""]
