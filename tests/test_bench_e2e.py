"""`tally bench` end to end on the real corpus: every system trained on the full train split,
dev and test scored, the results page written; determinism of the prediction files; the learned
systems beating `rules` on dev; the learning curve, per-type scores and top errors."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from tally.baselines.bench import (
    TABLE_METRICS,
    _value,
    learning_curve,
    plot_learning_curve,
    run_bench,
    subsample,
)
from tally.cli import app
from tally.data import load_split

# number_value / number_bounds accuracies are the shared normalizer's, on matched spans: every
# system ties there by construction, so the comparison uses their F1 (span found and value
# right), the figure that depends on the system.
SHARED_NORMALIZER = ("number_value", "number_bounds")


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    root = tmp_path_factory.mktemp("bench")
    out, results = root / "out", root / "page" / "RESULTS.md"
    r = CliRunner().invoke(app, ["bench", "--out", str(out), "--bootstrap", "50",
                                 "--results", str(results), "--speed", str(root / "none.json")])
    assert r.exit_code == 0, r.output
    return out, results, json.loads((out / "bench.json").read_text()), r.output


def test_bench_writes_board_models_predictions_and_results(bench):
    out, results, data, output = bench
    for name in ("rules", "linear", "crf"):
        assert (out / "models" / name / "manifest.json").exists()
        for sp in ("dev", "test"):
            lines = (out / "submissions" / f"baseline-{name}" / f"{sp}.jsonl").read_text()
            assert len(lines.splitlines()) == len(load_split(sp))
    for f in ("BENCH.md", "board/LEADERBOARD.md", "board/leaderboard.json", "board/index.html"):
        assert (out / f).exists(), f
    page = results.read_text()
    for heading in ("### Test", "unseen conflicts", "Human agreement vs systems",
                    "Gap to human agreement", "Per event type", "Ten most frequent error kinds",
                    "![learning curve](learning_curve.png)", "tally bench --out"):
        assert heading in page, heading
    assert (results.parent / "learning_curve.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "best on dev" in output
    # human agreement is scored on the double-annotated dev/test documents only
    human = data["subsets"]["double_annotated_dev_test"]
    assert set(human) == {"human", "human_vs_adjudicated", "rules", "linear", "crf"}
    assert human["human"]["documents"]["scored"] == human["crf"]["documents"]["scored"] > 0


def test_learned_systems_beat_rules_on_dev(bench):
    dev = bench[2]["scores"]["dev"]
    worse = []
    for metric in TABLE_METRICS:
        def fig(name, metric=metric):
            m = dev[name]["metrics"][metric]
            return m["f1"] if metric in SHARED_NORMALIZER else _value(m)

        for name in ("linear", "crf"):
            if not fig(name) > fig("rules"):
                worse.append((metric, name, fig(name), fig("rules")))
    assert not worse, worse


def test_per_type_and_top_errors_of_the_best_system(bench):
    data = bench[2]
    best = data["best"]
    dev = data["scores"]["dev"]
    assert dev[best]["metrics"]["tally_strict"]["f1"] == max(
        r["metrics"]["tally_strict"]["f1"] for r in dev.values())
    test_report = data["scores"]["test"][best]["metrics"]["trigger_classification"]
    assert sum(r["trigger_classification_gold"] for r in data["per_type"]) == test_report["gold"]
    errors = data["errors"]
    assert len(errors) == 10
    counts = [e["count"] for e in errors]
    assert counts == sorted(counts, reverse=True) and counts[0] > 0
    assert {e["kind"].split(" ")[0] for e in errors} <= {"trigger", "argument", "number", "fact"}


def test_bench_is_deterministic(bench, tmp_path):
    """Same seed, byte-identical prediction files (and models), whatever else runs beside."""
    first = bench[0]
    run_bench(tmp_path / "again", systems=("rules", "linear"), bootstrap=0)
    for name in ("rules", "linear"):
        for sp in ("dev", "test"):
            rel = f"submissions/baseline-{name}/{sp}.jsonl"
            assert (tmp_path / "again" / rel).read_bytes() == (first / rel).read_bytes(), rel
        rel = f"models/{name}/state.json"
        assert (tmp_path / "again" / rel).read_bytes() == (first / rel).read_bytes(), rel


def test_learning_curve_is_deterministic(bench, tmp_path):
    data = bench[2]
    splits = {sp: load_split(sp) for sp in ("train", "dev", "test")}
    again = learning_curve(splits, ("rules",), seed=0)
    assert again["points"]["rules"] == data["curve"]["points"]["rules"]
    assert [p["fraction"] for p in again["points"]["rules"]] == [0.1, 0.25, 0.5, 1.0]
    a = plot_learning_curve(data["curve"], tmp_path / "a.png").read_bytes()
    b = plot_learning_curve(data["curve"], tmp_path / "b.png").read_bytes()
    assert a == b == (bench[0] / "learning_curve.png").read_bytes()


def test_subsample_takes_whole_stories():
    train = load_split("train")
    part = subsample(train, 0.25, seed=0)
    stories = {d.story for d in part}
    assert part and len(part) < len(train)
    assert [d for d in train if d.story in stories] == part
    assert subsample(train, 0.25, seed=0) == part
