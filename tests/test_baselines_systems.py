"""The three baselines trained on (a slice of) the real corpus: valid predictions whose spans
are the gold text, determinism, the same predictions with worker processes, safe save/load,
the registry, the CLI and the speed table."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from tally.baselines import (
    SYSTEMS,
    documents_hash,
    get_system,
    load_model,
    predict,
    save_model,
    train_system,
)
from tally.baselines.tokens import tokenize
from tally.cli import app
from tally.data import load_split
from tally.schema.diagnostics import TallyError
from tally.schema.models import Prediction
from tally.schema.ontology import load_ontology


@pytest.fixture(scope="module")
def corpus():
    train = load_split("train")[:12]
    dev = load_split("dev") + load_split("test")[:2]
    return train, dev


@pytest.fixture(scope="module")
def models(corpus):
    train, _ = corpus
    return {name: train_system(name, train, seed=0) for name in SYSTEMS}


def test_gold_spans_fall_on_token_boundaries(corpus):
    for d in corpus[0]:
        tok = tokenize(d.text)
        spans = [e.trigger for e in d.events] + [n.span for n in d.numbers]
        assert all(tok.token_range(s.start, s.end) for s in spans), d.id


@pytest.mark.parametrize("name", sorted(SYSTEMS))
def test_predictions_are_valid_and_match_the_text(models, corpus, name):
    onto = load_ontology()
    _, dev = corpus
    preds = predict(models[name], dev)
    assert [p.id for p in preds] == [d.id for d in dev]
    assert sum(len(p.events) for p in preds) > 0 and sum(len(p.numbers) for p in preds) > 0
    for d, p in zip(dev, preds, strict=True):
        Prediction.model_validate(p.model_dump())  # the canonical model accepts it
        ids = {e.id for e in p.events}
        for e in p.events:
            assert d.text[e.trigger.start : e.trigger.end] == e.trigger.text
            assert e.type in onto.event_types
            for a in e.arguments:
                assert d.text[a.start : a.end] == a.text
                assert a.role in onto.event_types[e.type].roles
            if e.source:
                assert d.text[e.source.start : e.source.end] == e.source.text
        for n in p.numbers:
            assert d.text[n.span.start : n.span.end] == n.span.text
            if n.event:
                assert n.event in ids and n.kind == "event_count"
        for t in p.times:
            assert d.text[t.span.start : t.span.end] == t.span.text


@pytest.mark.parametrize("name", ["linear", "crf"])
def test_training_is_deterministic(models, corpus, name):
    train, dev = corpus
    again = train_system(name, train, seed=0)
    assert [p.model_dump() for p in predict(again, dev)] == \
        [p.model_dump() for p in predict(models[name], dev)]


@pytest.mark.parametrize("name", sorted(SYSTEMS))
def test_predict_with_workers_equals_one_process(models, corpus, name):
    """jobs=2 (forked workers, contiguous chunks) gives jobs=1's predictions, in input order,
    byte for byte; progress counts every document once."""
    _, dev = corpus
    docs = dev + dev[:7]  # 62 documents: two chunks of unequal counts
    seen: list[int] = []
    one = [p.model_dump_json() for p in predict(models[name], docs)]
    two = [p.model_dump_json() for p in predict(models[name], docs, jobs=2,
                                                 progress=seen.append)]
    assert two == one
    assert sum(seen) == len(docs)


@pytest.mark.parametrize("name", sorted(SYSTEMS))
def test_save_and_load_round_trip(models, corpus, tmp_path, name):
    train, dev = corpus
    out = save_model(models[name], tmp_path / name, train_hash=documents_hash(train),
                     n_train=len(train), seed=0)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["system"] == name and manifest["training_data_sha256"] == documents_hash(train)
    assert not list(out.glob("*.pkl")) and not list(out.glob("*.pickle"))
    loaded = load_model(out)
    assert [p.model_dump() for p in predict(loaded, dev)] == \
        [p.model_dump() for p in predict(models[name], dev)]


def test_loading_refuses_untrusted_types(models, tmp_path):
    import fractions

    import skops.io as sio

    out = save_model(models["linear"], tmp_path / "m", train_hash="x", n_train=1, seed=0)
    sio.dump({"span_tagger": fractions.Fraction(1, 3)}, out / "estimators.skops")
    with pytest.raises(TallyError, match="untrusted"):
        load_model(out)


def test_loading_refuses_a_model_of_another_version(models, tmp_path):
    out = save_model(models["crf"], tmp_path / "m", train_hash="x", n_train=1, seed=0)
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["system_version"] = "0"
    (out / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(TallyError, match="retrained"):
        load_model(out)


def test_registry_suggests_the_closest_name():
    with pytest.raises(TallyError, match="did you mean 'linear'"):
        get_system("lineer")


def test_cli_train_and_predict(tmp_path, corpus):
    from tally.schema.jsonl import write_jsonl

    train, dev = corpus
    write_jsonl(tmp_path / "train.jsonl", train[:6])
    write_jsonl(tmp_path / "dev.jsonl", dev)
    runner = CliRunner()
    r = runner.invoke(app, ["train", "rules", "--train", str(tmp_path / "train.jsonl"),
                            "--out", str(tmp_path / "model")])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["predict", "rules", "--model", str(tmp_path / "model"),
                            "--input", str(tmp_path / "dev.jsonl"),
                            "--out", str(tmp_path / "pred.jsonl")])
    assert r.exit_code == 0, r.output
    lines = (tmp_path / "pred.jsonl").read_text().splitlines()
    assert len(lines) == len(dev)
    r = runner.invoke(app, ["predict", "rules", "--model", str(tmp_path / "model"),
                            "--input", str(tmp_path / "dev.jsonl"),
                            "--out", str(tmp_path / "pred2.jsonl"), "--jobs", "2"])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "pred2.jsonl").read_bytes() == (tmp_path / "pred.jsonl").read_bytes()
    r = runner.invoke(app, ["predict", "crf", "--model", str(tmp_path / "model"),
                            "--input", str(tmp_path / "dev.jsonl"),
                            "--out", str(tmp_path / "p2.jsonl")])
    assert r.exit_code == 1 and "Traceback" not in r.output
    r = runner.invoke(app, ["train", "crff", "--train", str(tmp_path / "train.jsonl"),
                            "--out", str(tmp_path / "m2")])
    assert r.exit_code == 1 and "did you mean" in r.output



def test_speed_table_renders_the_committed_benchmark():
    """`tally bench --results` renders benchmarks/results/bench_baselines.json: both modes of
    every system and the target judged on the workers' figure."""
    from pathlib import Path

    from tally.baselines.bench import speed_markdown

    path = Path(__file__).resolve().parents[1] / "benchmarks/results/bench_baselines.json"
    speed = json.loads(path.read_text())
    text = "\n".join(speed_markdown(speed))
    for r in speed["rows"]:
        assert f"| {r['system']} | 1 |" in text and f"| {r['system']} | {speed['jobs']} |" in text
    t = speed["targets"]
    assert f"{t['tokens_per_s']:.0f} tokens/s with {t['jobs']} workers" in text
