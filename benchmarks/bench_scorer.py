"""Scorer speed and memory benchmark (a script, not a timed test).

Builds a large gold file and a prediction file by cloning and perturbing the corpus documents,
writes the same gold and predictions in each peer's native format, then measures, each tool in a
fresh subprocess on this machine, two views side by side. Tally is measured with its gold in two
forms: a gold index (`tally gold-index`, built once and timed on its own) and the gold JSONL.

(a) scoring only, every input already in memory in the tool's own structures:
    - tally, gold index: the columnar scoring (`columnar.score_columnar` + the report) of the
      predictions already read into arrays by `read_predictions`;
    - tally, gold JSONL: the per-document path, `evaluate(gold, predictions)` with the gold
      loaded by `load_gold` and prepared and the predictions already turned into the scorer's
      plain records (it still checks every prediction against the gold);
    - seqeval (default mode, `f1_score`) on the equivalent token BIO task: per document, one
      sequence of trigger tags (B-/I-<event type>) and one of number tags (B-/I-NUM);
    - nervaluate (`Evaluator(...).evaluate()`) on the equivalent character spans (triggers with
      their type, numbers as NUM);
(b) end to end from files in each tool's native format:
    - tally, gold index: `load_gold_index` + `evaluate_index` (`tally eval --gold INDEX`);
    - tally, gold JSONL: `load_gold` (parse + validate the gold JSONL) + `evaluate_file`;
      each without bootstrap and, separately, with 1000 resamples;
    - seqeval: reading a conlleval-style file (token, gold tag, predicted tag; a blank line ends a
      sequence) into tag lists, then `f1_score`;
    - nervaluate: reading its span lists from two JSON files (gold, predicted: one list of
      {label, start, end} per document) with orjson, then `evaluate`;
and orjson alone parsing the two tally JSONL files line by line (the floor for any scorer).

Memory: the peak resident memory of tally's scoring above the loaded gold (Linux VmHWM, reset
after the gold is loaded; every page of a gold index touched first), for each gold form, for
the full prediction file and for a tenth of it scored with `allow_missing` against the same
gold: equal figures mean memory does not grow with the number of
prediction documents. Also reported: the time of one full `gc.collect()` after scoring, the cost
a long-running process pays once for holding the loaded gold (`load_gold` leaves its objects in
the collector's oldest generation without walking them; see eval/loading.py).

    python benchmarks/bench_scorer.py --docs 100000 --out benchmarks/results/bench_scorer.json

Perturbations (deterministic, seed 0): each event mention dropped with p=0.10 (numbers counting
it lose their link and become kind `other`); each remaining trigger shortened by one character
with p=0.15; each exact/approximate number has its qualifier swapped with p=0.10.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
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


def _layers(doc: dict) -> list[list[tuple[int, int, str]]]:
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


def _conll_block(gold: dict, pred: dict) -> str:
    """conlleval-style lines (token, gold tag, predicted tag) for the document's two sequences."""
    text = gold["text"]
    toks = [(m.start(), m.end()) for m in TOKEN_RE.finditer(text)]
    words = [text[a:b] for a, b in toks]
    out = []
    for gl, pl in zip(_layers(gold), _layers(pred), strict=True):
        gt, pt = _bio(toks, gl), _bio(toks, pl)
        out.append("".join(f"{w}\t{a}\t{b}\n" for w, a, b in zip(words, gt, pt, strict=True)))
    return "\n".join(out) + "\n"


def _spans_json(doc: dict) -> bytes:
    return orjson.dumps([{"label": lab, "start": s, "end": e}
                         for layer in _layers(doc) for s, e, lab in layer])


def write_files(docs: list[dict], n: int, workdir: Path, seed: int = 0) -> dict[str, Path]:
    """gold.jsonl (n documents), pred.jsonl (n), pred_tenth.jsonl (the first n // 10), and the
    same gold and predictions for the peers: conll.txt (seqeval), gold_spans.json and
    pred_spans.json (nervaluate)."""
    names = {"gold": "gold.jsonl", "pred": "pred.jsonl", "pred_tenth": "pred_tenth.jsonl",
             "conll": "conll.txt", "gold_spans": "gold_spans.json",
             "pred_spans": "pred_spans.json"}
    paths = {k: workdir / v for k, v in names.items()}
    rng = random.Random(seed)
    with (paths["gold"].open("wb") as g, paths["pred"].open("wb") as p,
          paths["pred_tenth"].open("wb") as p10, paths["conll"].open("w") as conll,
          paths["gold_spans"].open("wb") as gs, paths["pred_spans"].open("wb") as ps):
        gs.write(b"[")
        ps.write(b"[")
        for i in range(n):
            src = docs[i % len(docs)]
            doc = dict(src, id=f"{src['id'][:40]}-b{i:07d}")
            pred = perturb(doc, rng)
            g.write(orjson.dumps(doc) + b"\n")
            line = orjson.dumps(pred) + b"\n"
            p.write(line)
            if i < n // 10:
                p10.write(line)
            conll.write(_conll_block(doc, pred))
            sep = b"," if i else b""
            gs.write(sep + _spans_json(doc))
            ps.write(sep + _spans_json(pred))
        gs.write(b"]")
        ps.write(b"]")
    return paths


# ---------------------------------------------------------------- children (one per tool)


def _rss_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return -1


def child_tally(gold: Path, pred: Path, bootstrap: int, allow_missing: bool,
                in_memory: bool) -> dict:
    from tally.eval import evaluate, evaluate_file, load_gold

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
    peak = _rss_kb("VmHWM")
    rep = report.to_json()
    t3 = time.perf_counter()
    gc.collect()  # what a long-running process pays once for holding the gold
    gc_s = time.perf_counter() - t3
    out = {"load_gold_s": t1 - t0, "score_s": t2 - t1, "total_s": t2 - t0,
           "gc_full_collect_after_s": gc_s,
           "rss_after_gold_mb": rss_gold / 1024, "peak_rss_scoring_mb": peak / 1024,
           "peak_reset": reset, "gold_docs": len(docs),
           "scored_docs": rep["documents"]["scored"],
           "headline": rep["headline"], "trigger_classification_f1":
               rep["metrics"]["trigger_classification"]["f1"],
           "number_span_f1": rep["metrics"]["number_span"]["f1"],
           "metrics": rep["metrics"] if not allow_missing else None}
    if in_memory:
        # The gold prepared once and kept (what a leaderboard build does, `prepare=True`).
        t4 = time.perf_counter()
        docs.prepare()
        out["prepare_gold_s"] = time.perf_counter() - t4
        out["rss_prepared_gold_mb"] = _rss_kb("VmRSS") / 1024
        # A further submission read from its file and scored against the prepared gold: the
        # cost of each submission of a leaderboard build after the first.
        t5 = time.perf_counter()
        again = evaluate_file(docs, pred, bootstrap=bootstrap, seed=0).to_json()
        out["prepared_evaluate_file_s"] = time.perf_counter() - t5
        assert again["metrics"] == rep["metrics"]
        # View (a): the predictions already in memory as the scorer's plain records (parsed
        # untimed, as seqeval's and nervaluate's label lists are) and the gold prepared;
        # timed: checking the predictions against the gold, scoring and the report.
        from tally.eval.plain import from_json_fast

        with pred.open("rb") as fh:
            preds = [from_json_fast(orjson.loads(line)) for line in fh]
        assert all(p is not None for p in preds)
        gc.collect()
        t6 = time.perf_counter()
        again = evaluate(docs, preds, bootstrap=bootstrap, seed=0).to_json()
        out["in_memory_score_s"] = time.perf_counter() - t6
        # Same figures as from the file (the hash, computed once per load, included).
        assert again["metrics"] == rep["metrics"] and again["gold_sha256"] == rep["gold_sha256"]
    return out


def child_tally_build_index(gold: Path, index: Path) -> dict:
    """The one-off cost of a gold index: `load_gold` (full validation) and writing the index."""
    from tally.eval import load_gold
    from tally.eval.gold_index import build_gold_index

    t0 = time.perf_counter()
    docs = load_gold([gold])
    t1 = time.perf_counter()
    build_gold_index(docs, index, dataset_version="bench")
    t2 = time.perf_counter()
    return {"load_gold_s": t1 - t0, "write_index_s": t2 - t1, "total_s": t2 - t0,
            "index_mb": index.stat().st_size / 2**20}


def child_tally_index(index: Path, pred: Path, bootstrap: int, allow_missing: bool,
                      in_memory: bool) -> dict:
    """End to end from files with the gold index (what `tally eval --gold INDEX` runs), and the
    columnar scoring alone with the predictions already read into arrays."""
    from tally.eval.api import evaluate_index
    from tally.eval.gold_index import load_gold_index

    t0 = time.perf_counter()
    gi = load_gold_index(index)
    t1 = time.perf_counter()
    # The index is memory-mapped: scoring faults its pages in as it reads them (the texts of
    # the predicted documents only), which would count as growth with the predictions. Touch
    # every page of the scoring's arrays first (untimed), as the JSONL gold is all in memory.
    for a in [getattr(gi.columns, f) for f in gi.columns.__slots__
              if isinstance(getattr(gi.columns, f), np.ndarray)] + [gi.text_bytes]:
        if a.size:
            np.frombuffer(a.data, np.uint8)[::4096].sum()  # reads one byte per page
    rss_gold = _rss_kb("VmRSS")
    try:
        Path("/proc/self/clear_refs").write_text("5")
        reset = True
    except OSError:
        reset = False
    rep = evaluate_index(gi, pred, allow_missing=allow_missing, bootstrap=bootstrap,
                         seed=0).to_json()
    t2 = time.perf_counter()
    peak = _rss_kb("VmHWM")
    out = {"load_index_s": t1 - t0, "score_s": t2 - t1, "total_s": t2 - t0,
           "rss_after_gold_mb": rss_gold / 1024, "peak_rss_scoring_mb": peak / 1024,
           "peak_reset": reset, "scored_docs": rep["documents"]["scored"],
           "headline": rep["headline"], "gold_sha256": rep["gold_sha256"],
           "metrics": rep["metrics"] if not in_memory else None}
    if in_memory:
        from tally.eval.api import _build_report, index_summary
        from tally.eval.columnar import score_columnar
        from tally.eval.columnar_read import read_predictions

        t3 = time.perf_counter()
        cp = read_predictions(pred, gi)
        out["read_predictions_s"] = time.perf_counter() - t3
        assert cp is not None, "the columnar reader declined the benchmark's predictions"
        gc.collect()
        # View (a): predictions already in memory as the columnar scorer's arrays; timed:
        # every metric with its breakdowns, and the report.
        t4 = time.perf_counter()
        acc, rows = score_columnar(gi, cp, 1.0)
        again = _build_report(acc, rows, index_summary(gi), cp.missing, cp.n_pred, "exact",
                              bootstrap, 0, 0.95, None).to_json()
        out["in_memory_score_s"] = time.perf_counter() - t4
        assert again["metrics"] == rep["metrics"]
        out["metrics"] = rep["metrics"]
    return out


def child_orjson(gold: Path, pred: Path) -> dict:
    n = 0
    took = []
    for path in (gold, pred):
        t0 = time.perf_counter()
        with path.open("rb") as fh:
            for line in fh:
                orjson.loads(line)
                n += 1
        took.append(time.perf_counter() - t0)
    return {"parse_s": sum(took), "gold_parse_s": took[0], "pred_parse_s": took[1], "lines": n}


def read_conll(path: Path) -> tuple[list[list[str]], list[list[str]]]:
    """Gold and predicted tag sequences of a conlleval-style file (last two columns)."""
    y_true: list[list[str]] = []
    y_pred: list[list[str]] = []
    gt: list[str] = []
    pt: list[str] = []
    with path.open() as fh:
        for line in fh:
            if line == "\n":
                if gt:
                    y_true.append(gt)
                    y_pred.append(pt)
                    gt, pt = [], []
                continue
            cols = line.rstrip("\n").split("\t")
            gt.append(cols[-2])
            pt.append(cols[-1])
    if gt:
        y_true.append(gt)
        y_pred.append(pt)
    return y_true, y_pred


def child_seqeval(conll: Path) -> dict:
    from seqeval.metrics import f1_score

    t0 = time.perf_counter()
    y_true, y_pred = read_conll(conll)
    t1 = time.perf_counter()
    f1 = f1_score(y_true, y_pred)
    t2 = time.perf_counter()
    return {"read_s": t1 - t0, "score_s": t2 - t1, "total_s": t2 - t0, "f1": f1,
            "tokens": sum(map(len, y_true)), "sequences": len(y_true)}


def child_nervaluate(gold_spans: Path, pred_spans: Path) -> dict:
    from nervaluate import Evaluator

    t0 = time.perf_counter()
    true = orjson.loads(gold_spans.read_bytes())
    predicted = orjson.loads(pred_spans.read_bytes())
    tags = sorted({s["label"] for doc in true for s in doc})
    t1 = time.perf_counter()
    results = Evaluator(true, predicted, tags=tags).evaluate()
    t2 = time.perf_counter()
    strict = results.get("overall", {}).get("strict") if isinstance(results, dict) else None
    f1 = getattr(strict, "f1", None) if strict is not None else None
    return {"read_s": t1 - t0, "score_s": t2 - t1, "total_s": t2 - t0, "strict_f1": f1,
            "spans": sum(map(len, true))}


def run_child(kind: str, *args: str) -> dict:
    cmd = [sys.executable, __file__, "--child", kind, *args]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------- main


def ratios_of(res: dict) -> dict:
    """Every ratio the issue sets a target for, in both views and for both forms of the gold
    (its JSONL files, validated on every run, and the gold index built from them once), with
    the target and whether it is met. Peer ratios: the peer's time over tally's (higher is
    better for tally)."""
    parse = res["orjson"]["parse_s"]
    rows = {}

    def put(name: str, value: float | None, target: str, met: bool | None) -> None:
        rows[name] = {"value": value, "target": target, "met": met}

    for form, key in (("gold_index", "tally_index"), ("gold_jsonl", "tally")):
        t = res.get(key)
        if t is None:
            continue
        for tool, need in (("seqeval", 10.0), ("nervaluate", 3.0)):
            if tool not in res:
                continue
            if "in_memory_score_s" in t:
                v = res[tool]["score_s"] / t["in_memory_score_s"]
                put(f"{tool}_over_tally__scoring_in_memory__{form}", v, f">= {need:g}",
                    v >= need)
            v = res[tool]["total_s"] / t["total_s"]
            put(f"{tool}_over_tally__end_to_end_from_files__{form}", v, f">= {need:g}",
                v >= need)
        v = t["total_s"] / parse
        put(f"tally_end_to_end_over_orjson_parse_of_both_files__{form}", v, "<= 2", v <= 2)
    if "tally_index" in res:
        # The index replaces the gold JSONL, so also against parsing the prediction file alone.
        v = res["tally_index"]["total_s"] / res["orjson"]["pred_parse_s"]
        put("tally_end_to_end_over_orjson_parse_of_the_prediction_file__gold_index", v, "<= 2",
            v <= 2)
    for form, key in (("gold_index", "memory_index"), ("gold_jsonl", "memory")):
        m = res.get(key)
        if m is None:
            continue
        grow = m["scoring_extra_mb_all_predictions"] - m["scoring_extra_mb_tenth_of_predictions"]
        # "Does not grow": ten times the documents may add at most 10% of the gold index.
        put(f"memory_growth_mb_all_vs_tenth_of_predictions__{form}", grow,
            "<= 10% of the gold in memory", grow <= 0.1 * m["gold_index_rss_mb"])
    return rows


def memory_of(full: dict, tenth: dict) -> dict:
    """Resident memory scoring adds above the loaded gold, for all and a tenth of the
    predictions (each child reset the peak after loading the gold)."""
    def extra(r: dict) -> float:
        return r["peak_rss_scoring_mb"] - r["rss_after_gold_mb"]

    return {"scoring_extra_mb_all_predictions": extra(full),
            "scoring_extra_mb_tenth_of_predictions": extra(tenth),
            "gold_index_rss_mb": full["rss_after_gold_mb"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", type=int, default=100_000, help="Documents in gold and predictions.")
    ap.add_argument("--corpus", type=Path, help="Compiled corpus JSONL (default: compile "
                    "data/authoring).")
    ap.add_argument("--workdir", type=Path, help="Where to write the big files (default: temp).")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" /
                    "bench_scorer.json", help="JSON result file.")
    ap.add_argument("--skip", nargs="*", default=[], choices=["seqeval", "nervaluate",
                                                              "bootstrap", "memory",
                                                              "in-memory"])
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("child_args", nargs="*", help=argparse.SUPPRESS)
    a = ap.parse_args()

    if a.child:
        ca = a.child_args
        if a.child == "tally":
            res = child_tally(Path(ca[0]), Path(ca[1]), int(ca[2]), ca[3] == "1", ca[4] == "1")
        elif a.child == "tally_index":
            res = child_tally_index(Path(ca[0]), Path(ca[1]), int(ca[2]), ca[3] == "1",
                                    ca[4] == "1")
        elif a.child == "tally_build_index":
            res = child_tally_build_index(Path(ca[0]), Path(ca[1]))
        elif a.child == "seqeval":
            res = child_seqeval(Path(ca[0]))
        else:
            fn = {"orjson": child_orjson, "nervaluate": child_nervaluate}[a.child]
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
                    "processor": platform.processor() or platform.machine(),
                    "cpus": os.cpu_count(), "load_average_at_start": os.getloadavg()},
        "corpus_documents": len(docs), "documents": a.docs,
        "file_mb": {k: v.stat().st_size / 2**20 for k, v in paths.items()},
    }
    res["orjson"] = step("orjson", g, p)
    res["tally"] = step("tally", g, p, "0", "0", "0" if "in-memory" in a.skip else "1")
    if "bootstrap" not in a.skip:
        res["tally_bootstrap_1000"] = step("tally", g, p, "1000", "0", "0")
    if "memory" not in a.skip:
        res["tally_tenth_of_predictions"] = step("tally", g, str(paths["pred_tenth"]), "0",
                                                 "1", "0")
        res["memory"] = memory_of(res["tally"], res["tally_tenth_of_predictions"])
    index = workdir / "gold.tgi"
    res["tally_build_index"] = step("tally_build_index", g, str(index))
    res["tally_index"] = step("tally_index", str(index), p, "0", "0",
                              "0" if "in-memory" in a.skip else "1")
    if "bootstrap" not in a.skip:
        res["tally_index_bootstrap_1000"] = step("tally_index", str(index), p, "1000", "0", "0")
    if "memory" not in a.skip:
        res["tally_index_tenth_of_predictions"] = step("tally_index", str(index),
                                                       str(paths["pred_tenth"]), "0", "1", "0")
        res["memory_index"] = memory_of(res["tally_index"],
                                        res["tally_index_tenth_of_predictions"])
    if "seqeval" not in a.skip:
        res["seqeval"] = step("seqeval", str(paths["conll"]))
    if "nervaluate" not in a.skip:
        res["nervaluate"] = step("nervaluate", str(paths["gold_spans"]),
                                 str(paths["pred_spans"]))
    if res["tally"].get("metrics") is not None and res["tally_index"].get("metrics") is not None:
        # The two paths must agree on every figure at this size too.
        res["same_metrics_gold_jsonl_and_gold_index"] = (
            res["tally"]["metrics"] == res["tally_index"]["metrics"])
    for k in res:
        if k.startswith("tally"):
            res[k].pop("metrics", None)
    res["machine"]["load_average_at_end"] = os.getloadavg()
    res["ratios"] = ratios_of(res)

    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(res, indent=2) + "\n")
    t = res["tally"]
    print(json.dumps({
        "ratios": {k: round(v["value"], 3) for k, v in res["ratios"].items()},
        "met": {k: v["met"] for k, v in res["ratios"].items()},
        "memory": res.get("memory"), "memory_index": res.get("memory_index"),
        "seconds": {"orjson_parse": res["orjson"]["parse_s"],
                    "tally_build_index": res.get("tally_build_index", {}).get("total_s"),
                    "tally_index_total": res.get("tally_index", {}).get("total_s"),
                    "tally_index_in_memory": res.get("tally_index", {}).get("in_memory_score_s"),
                    "tally_index_read_predictions":
                        res.get("tally_index", {}).get("read_predictions_s"),
                    "tally_load_gold": t["load_gold_s"], "tally_evaluate_file": t["score_s"],
                    "tally_total": t["total_s"],
                    "tally_in_memory": t.get("in_memory_score_s"),
                    "tally_prepare_gold": t.get("prepare_gold_s"),
                    "tally_prepared_evaluate_file": t.get("prepared_evaluate_file_s"),
                    "tally_total_bootstrap_1000":
                        res.get("tally_bootstrap_1000", {}).get("total_s"),
                    "seqeval_read_score": [res.get("seqeval", {}).get(k)
                                           for k in ("read_s", "score_s")],
                    "nervaluate_read_score": [res.get("nervaluate", {}).get(k)
                                              for k in ("read_s", "score_s")]}},
        indent=2))
    print(f"result written to {a.out}", file=sys.stderr)
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
