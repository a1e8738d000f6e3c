"""Scorer speed and memory benchmark (a script, not a timed test).

Builds a large gold file and a prediction file by cloning and perturbing the corpus documents,
then measures, each in a fresh subprocess on this machine:

- tally: `load_gold` (parse + validate the gold) and `evaluate_file` (stream, check and score the
  predictions), without bootstrap for the comparison and, separately, with 1000 resamples;
- orjson: the time only to parse both files line by line (the floor for any scorer);
- seqeval (default mode, `f1_score`) on the equivalent token BIO task: per document, one
  sequence of trigger tags (B-/I-<event type>) and one of number tags (B-/I-NUM);
- nervaluate (`Evaluator(...).evaluate()`) on the equivalent character spans (triggers with their
  type, numbers as NUM).
seqeval and nervaluate are timed on lists built beforehand (parsing and conversion untimed),
which favours them; tally is timed end to end from the two files.

Memory: the peak resident memory of the scoring step above the gold index (Linux VmHWM, reset
after the gold is loaded), for the full prediction file and for a tenth of it scored with
`allow_missing` against the same gold: equal figures mean memory does not grow with the number of
prediction documents.

    python benchmarks/bench_scorer.py --docs 100000 --out benchmarks/results/bench_scorer.json

Perturbations (deterministic, seed 0): each event mention dropped with p=0.10 (numbers counting
it lose their link and become kind `other`); each remaining trigger shortened by one character
with p=0.15; each exact/approximate number has its qualifier swapped with p=0.10.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[1]
PRED_FIELDS = ("format_version", "id", "events", "numbers", "times", "relations")
TOKEN_RE = re.compile(r"\w+|[^\w\s]")


# ---------------------------------------------------------------- building the data


def corpus_docs(corpus: Path | None) -> list[dict]:
    """The valid corpus documents that carry their text (compiled from data/authoring by
    default)."""
    from tally.schema.models import Document
    from tally.schema.validate import DocumentChecker

    if corpus is None:
        from tally.schema.authoring import compile_file

        models = [d for f in sorted((ROOT / "data" / "authoring").rglob("*.tly"))
                  for d in [compile_file(f)[0]] if d is not None]
    else:
        models = [Document.model_validate(orjson.loads(line))
                  for line in corpus.read_bytes().splitlines() if line.strip()]
    # Documents still being written may not validate yet: the benchmark uses the valid ones.
    checker = DocumentChecker()
    docs = [d.model_dump(mode="json") for d in models if d.text is not None
            and not [p for p in checker.check(d, "corpus", None) if p.severity == "error"]]
    if not docs:
        sys.exit("no corpus document with text: compile one with `tally compile data/authoring "
                 "-o corpus.jsonl` and pass --corpus")
    return docs


def perturb(doc: dict, rng: random.Random) -> dict:
    """A prediction from a gold document (see the module docstring)."""
    text = doc["text"]
    dropped = {e["id"] for e in doc["events"] if rng.random() < 0.10}
    events = []
    for e in doc["events"]:
        if e["id"] in dropped:
            continue
        e = dict(e)
        if e["coref"] in dropped:
            e["coref"] = e["id"]
        t = e["trigger"]
        if t["end"] - t["start"] > 1 and rng.random() < 0.15:
            e["trigger"] = {"start": t["start"], "end": t["end"] - 1,
                            "text": text[t["start"]:t["end"] - 1]}
        events.append(e)
    numbers = []
    for n in doc["numbers"]:
        n = dict(n)
        if n.get("event") in dropped:
            n.update(event=None, counted_role=None, counted_class=None, scope=None, kind="other")
        if n["qualifier"] in ("exact", "approximate") and rng.random() < 0.10:
            n["qualifier"] = "approximate" if n["qualifier"] == "exact" else "exact"
        numbers.append(n)
    pred = {k: doc[k] for k in PRED_FIELDS if k in doc}
    pred.update(events=events, numbers=numbers)
    return pred


def write_files(docs: list[dict], n: int, workdir: Path, seed: int = 0) -> dict[str, Path]:
    """gold.jsonl (n documents), pred.jsonl (n) and pred_tenth.jsonl (the first n // 10)."""
    paths = {k: workdir / f"{k}.jsonl" for k in ("gold", "pred", "pred_tenth")}
    rng = random.Random(seed)
    with (paths["gold"].open("wb") as g, paths["pred"].open("wb") as p,
          paths["pred_tenth"].open("wb") as p10):
        for i in range(n):
            src = docs[i % len(docs)]
            doc = dict(src, id=f"{src['id'][:40]}-b{i:07d}")
            g.write(orjson.dumps(doc) + b"\n")
            line = orjson.dumps(perturb(doc, rng)) + b"\n"
            p.write(line)
            if i < n // 10:
                p10.write(line)
    return paths


# ---------------------------------------------------------------- children (one per tool)


def _rss_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return -1


def child_tally(gold: Path, pred: Path, bootstrap: int, allow_missing: bool) -> dict:
    from tally.eval import evaluate_file, load_gold

    t0 = time.perf_counter()
    docs = load_gold([gold])
    t1 = time.perf_counter()
    rss_gold = _rss_kb("VmRSS")
    try:  # reset the peak (VmHWM) so it measures the scoring step alone
        Path("/proc/self/clear_refs").write_text("5")
        reset = True
    except OSError:
        reset = False
    report = evaluate_file(docs, pred, allow_missing=allow_missing, bootstrap=bootstrap, seed=0)
    t2 = time.perf_counter()
    rep = report.to_json()
    return {"load_gold_s": t1 - t0, "score_s": t2 - t1, "total_s": t2 - t0,
            "rss_after_gold_mb": rss_gold / 1024, "peak_rss_scoring_mb": _rss_kb("VmHWM") / 1024,
            "peak_reset": reset, "gold_docs": len(docs),
            "scored_docs": rep["documents"]["scored"],
            "headline": rep["headline"], "trigger_classification_f1":
                rep["metrics"]["trigger_classification"]["f1"],
            "number_span_f1": rep["metrics"]["number_span"]["f1"]}


def child_orjson(gold: Path, pred: Path) -> dict:
    t0 = time.perf_counter()
    n = 0
    for path in (gold, pred):
        with path.open("rb") as fh:
            for line in fh:
                orjson.loads(line)
                n += 1
    return {"parse_s": time.perf_counter() - t0, "lines": n}


def _pairs(gold: Path, pred: Path):
    """(gold, prediction) objects line by line, so 100k documents never sit in memory."""
    with gold.open("rb") as g, pred.open("rb") as p:
        for gl, pl in zip(g, p, strict=True):
            yield orjson.loads(gl), orjson.loads(pl)


def _layers(doc: dict, text: str) -> list[list[tuple[int, int, str]]]:
    trig = [(e["trigger"]["start"], e["trigger"]["end"], e["type"]) for e in doc["events"]]
    nums = [(n["span"]["start"], n["span"]["end"], "NUM") for n in doc["numbers"]]
    return [trig, nums]


def _bio(tokens: list[tuple[int, int]], spans: list[tuple[int, int, str]]) -> list[str]:
    tags = ["O"] * len(tokens)
    for s, e, label in sorted(spans):
        first = True
        for i, (ts, te) in enumerate(tokens):
            if te <= s or ts >= e:
                continue
            if tags[i] == "O":
                tags[i] = ("B-" if first else "I-") + label
            first = False
    return tags


def child_seqeval(gold: Path, pred: Path) -> dict:
    from seqeval.metrics import f1_score

    y_true, y_pred = [], []
    for gd, pd in _pairs(gold, pred):
        toks = [(m.start(), m.end()) for m in TOKEN_RE.finditer(gd["text"])]
        for gl, pl in zip(_layers(gd, gd["text"]), _layers(pd, gd["text"]), strict=True):
            y_true.append(_bio(toks, gl))
            y_pred.append(_bio(toks, pl))
    t0 = time.perf_counter()
    f1 = f1_score(y_true, y_pred)
    return {"score_s": time.perf_counter() - t0, "f1": f1,
            "tokens": sum(map(len, y_true)), "sequences": len(y_true)}


def child_nervaluate(gold: Path, pred: Path) -> dict:
    from nervaluate import Evaluator

    true, predicted, tags = [], [], set()
    for gd, pd in _pairs(gold, pred):
        gs = [s for layer in _layers(gd, gd["text"]) for s in layer]
        ps = [s for layer in _layers(pd, gd["text"]) for s in layer]
        tags.update(label for _, _, label in gs)
        true.append([{"label": lab, "start": s, "end": e} for s, e, lab in gs])
        predicted.append([{"label": lab, "start": s, "end": e} for s, e, lab in ps])
    t0 = time.perf_counter()
    results = Evaluator(true, predicted, tags=sorted(tags)).evaluate()
    dt = time.perf_counter() - t0
    strict = results.get("overall", {}).get("strict") if isinstance(results, dict) else None
    f1 = getattr(strict, "f1", None) if strict is not None else None
    return {"score_s": dt, "strict_f1": f1, "spans": sum(map(len, true))}


def run_child(kind: str, *args: str) -> dict:
    cmd = [sys.executable, __file__, "--child", kind, *args]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------- main


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", type=int, default=100_000, help="Documents in gold and predictions.")
    ap.add_argument("--corpus", type=Path, help="Compiled corpus JSONL (default: compile "
                    "data/authoring).")
    ap.add_argument("--workdir", type=Path, help="Where to write the big files (default: temp).")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" /
                    "bench_scorer.json", help="JSON result file.")
    ap.add_argument("--skip", nargs="*", default=[], choices=["seqeval", "nervaluate",
                                                              "bootstrap", "memory"])
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("child_args", nargs="*", help=argparse.SUPPRESS)
    a = ap.parse_args()

    if a.child:
        ca = a.child_args
        if a.child == "tally":
            res = child_tally(Path(ca[0]), Path(ca[1]), int(ca[2]), ca[3] == "1")
        else:
            fn = {"orjson": child_orjson, "seqeval": child_seqeval,
                  "nervaluate": child_nervaluate}[a.child]
            res = fn(Path(ca[0]), Path(ca[1]))
        print(json.dumps(res))
        return

    docs = corpus_docs(a.corpus)
    tmp = tempfile.TemporaryDirectory(prefix="tally-bench-") if a.workdir is None else None
    workdir = a.workdir or Path(tmp.name)
    workdir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    paths = write_files(docs, a.docs, workdir)
    print(f"built {a.docs} gold and prediction documents from {len(docs)} corpus documents "
          f"in {time.perf_counter() - t0:.1f}s", file=sys.stderr)
    g, p = str(paths["gold"]), str(paths["pred"])

    def step(name: str, *args: str) -> dict:
        t = time.perf_counter()
        r = run_child(name, *args)
        print(f"  {name:<10} done in {time.perf_counter() - t:.1f}s wall", file=sys.stderr)
        return r

    res: dict = {
        "command": "python benchmarks/bench_scorer.py " + " ".join(sys.argv[1:]),
        "machine": {"python": platform.python_version(), "platform": platform.platform(),
                    "processor": platform.processor() or platform.machine()},
        "corpus_documents": len(docs), "documents": a.docs,
        "gold_mb": paths["gold"].stat().st_size / 2**20,
        "pred_mb": paths["pred"].stat().st_size / 2**20,
    }
    res["orjson"] = step("orjson", g, p)
    res["tally"] = step("tally", g, p, "0", "0")
    if "bootstrap" not in a.skip:
        res["tally_bootstrap_1000"] = step("tally", g, p, "1000", "0")
    if "memory" not in a.skip:
        res["tally_tenth_of_predictions"] = step("tally", g, str(paths["pred_tenth"]), "0", "1")
    for tool in ("seqeval", "nervaluate"):
        if tool not in a.skip:
            res[tool] = step(tool, g, p)

    # Two views: "total" counts loading and validating the gold (once per run); "score" is the
    # per-submission cost once the gold is loaded (a leaderboard loads it once for all entries).
    tally_total, tally_score = res["tally"]["total_s"], res["tally"]["score_s"]
    parse = res["orjson"]["parse_s"]
    ratios = {"tally_total_over_orjson_parse": tally_total / parse,
              "tally_score_over_orjson_parse": tally_score / parse}
    for tool in ("seqeval", "nervaluate"):
        if tool in res:
            ratios[f"{tool}_over_tally_total"] = res[tool]["score_s"] / tally_total
            ratios[f"{tool}_over_tally_score"] = res[tool]["score_s"] / tally_score
    if "tally_tenth_of_predictions" in res:
        full = res["tally"]["peak_rss_scoring_mb"] - res["tally"]["rss_after_gold_mb"]
        tenth = (res["tally_tenth_of_predictions"]["peak_rss_scoring_mb"]
                 - res["tally_tenth_of_predictions"]["rss_after_gold_mb"])
        res["memory"] = {"scoring_extra_mb_all_predictions": full,
                         "scoring_extra_mb_tenth_of_predictions": tenth,
                         "gold_index_rss_mb": res["tally"]["rss_after_gold_mb"]}
    res["ratios"] = ratios
    res["targets"] = {"seqeval_over_tally": ">= 10", "nervaluate_over_tally": ">= 3",
                      "tally_over_orjson_parse": "<= 2"}

    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(res, indent=2) + "\n")
    print(json.dumps({"ratios": ratios, "memory": res.get("memory"),
                      "seconds": {"orjson_parse": res["orjson"]["parse_s"],
                                  "tally_load_gold": res["tally"]["load_gold_s"],
                                  "tally_score": tally_score,
                                  "tally_total": tally_total,
                                  "tally_total_bootstrap_1000":
                                      res.get("tally_bootstrap_1000", {}).get("total_s"),
                                  "seqeval": res.get("seqeval", {}).get("score_s"),
                                  "nervaluate": res.get("nervaluate", {}).get("score_s")}},
                     indent=2))
    print(f"result written to {a.out}", file=sys.stderr)
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
