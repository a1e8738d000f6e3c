"""The columnar path end to end: `evaluate_index` and `tally eval --gold INDEX` give the reference
path's report, bit for bit; everything the columnar reader declines still gets the reference
path's scores or its named problems; the gold index file is handled safely by the CLI."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from tally.eval import evaluate_file, evaluate_index, load_gold
from tally.eval.columnar_read import read_predictions
from tally.eval.gold_index import build_gold_index, columnar_gold, load_gold_index
from tally.schema.diagnostics import TallyError
from tests.conftest import DATA
from tests.eval_perturb import perturb

SPLITS = [DATA / f"{s}.jsonl" for s in ("train", "dev", "test")]
TALLY = str(Path(sys.executable).with_name("tally"))


@pytest.fixture(scope="module")
def gold():
    return load_gold(SPLITS)


@pytest.fixture(scope="module")
def index(gold, tmp_path_factory):
    path = tmp_path_factory.mktemp("index") / "gold.tgi"
    build_gold_index(gold, path, "test")
    return load_gold_index(path)


def _write(path: Path, preds: list[dict]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(p) + b"\n" for p in preds))
    return path


def _preds(gold, seed: int, rate: float) -> list[dict]:
    rng = random.Random(seed)
    preds = [perturb(d, rng, rate) for d in gold]
    rng.shuffle(preds)  # the submission's order must not matter (bootstrap rows in gold order)
    return preds


@pytest.mark.parametrize(("seed", "rate"), [(0, 0.1), (1, 0.3), (2, 0.6)])
def test_index_equals_reference(gold, index, tmp_path, seed, rate):
    path = _write(tmp_path / "pred.jsonl", _preds(gold, seed, rate))
    assert read_predictions(path, index) is not None  # the columnar path itself is tested
    ref = evaluate_file(gold, path, reference=True, bootstrap=100, seed=seed).to_json()
    got = evaluate_index(index, path, bootstrap=100, seed=seed).to_json()
    ref.pop("dataset_version"), got.pop("dataset_version")
    assert got == ref
    # evaluate_file goes through the columnar path too (gold as columns in memory).
    again = evaluate_file(gold, path, bootstrap=100, seed=seed).to_json()
    again.pop("dataset_version")
    assert again == ref


def test_index_self_empty_and_missing(gold, index, tmp_path):
    selfp = _write(tmp_path / "self.jsonl", [
        {k: v for k, v in d.model_dump(mode="json").items()
         if k in ("id", "events", "numbers", "times", "relations")} for d in gold])
    rep = evaluate_index(index, selfp, bootstrap=0).to_json()
    assert all(m.get("f1", m.get("accuracy")) == 1.0 for m in rep["metrics"].values())
    empty = _write(tmp_path / "empty.jsonl", [{"id": d.id} for d in gold])
    assert evaluate_index(index, empty, bootstrap=0).to_json()["headline"]["f1"] == 0.0
    half = _write(tmp_path / "half.jsonl", _preds(gold, 5, 0.2)[::2])
    with pytest.raises(TallyError) as exc:
        evaluate_index(index, half)
    with pytest.raises(TallyError) as ref_exc:
        evaluate_file(gold, half, reference=True)
    assert [str(p) for p in exc.value.problems] == [str(p) for p in ref_exc.value.problems]
    got = evaluate_index(index, half, allow_missing=True, bootstrap=50).to_json()
    ref = evaluate_file(gold, half, allow_missing=True, bootstrap=50, reference=True).to_json()
    got.pop("dataset_version"), ref.pop("dataset_version")
    assert got == ref and got["documents"]["missing"]


def test_declined_files_fall_back_to_the_reference(gold, index, tmp_path):
    preds = _preds(gold, 3, 0.2)
    # Valid but not canonical: a defaulted field left out. The reader declines; same report.
    for p in preds:
        for e in p["events"]:
            e.pop("factuality", None)
    path = _write(tmp_path / "short.jsonl", preds)
    assert read_predictions(path, index) is None
    got = evaluate_index(index, path, bootstrap=20).to_json()
    ref = evaluate_file(gold, path, bootstrap=20, reference=True).to_json()
    got.pop("dataset_version"), ref.pop("dataset_version")
    assert got == ref
    # Invalid: every problem named as the reference path names it.
    bad = _preds(gold, 4, 0.2)
    bad[3]["events"][0]["type"] = "NOT_A_TYPE"
    bad[7]["id"] = "no-such-document"
    path = _write(tmp_path / "bad.jsonl", bad)
    with pytest.raises(TallyError) as exc:
        evaluate_index(index, path)
    with pytest.raises(TallyError) as ref_exc:
        evaluate_file(gold, path, reference=True)
    assert [str(p) for p in exc.value.problems] == [str(p) for p in ref_exc.value.problems]
    assert any("NOT_A_TYPE" in str(p) for p in exc.value.problems)


def test_other_regimes_and_error_listings_use_the_documents_in_the_index(gold, index, tmp_path):
    path = _write(tmp_path / "pred.jsonl", _preds(gold, 6, 0.3))
    for opts in ({"regime": "overlap"}, {"errors": 3}):
        got = evaluate_index(index, path, bootstrap=10, **opts).to_json()
        ref = evaluate_file(gold, path, bootstrap=10, **opts).to_json()
        got.pop("dataset_version"), ref.pop("dataset_version")
        assert got == ref


def test_in_memory_columns_equal_the_file_index(gold, index):
    mem = columnar_gold(gold)
    assert mem.columns.equals(index.columns)
    assert mem.sha256 == index.sha256 == gold.sha256()
    assert index.documents().sha256() == gold.sha256()


def _tally(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([TALLY, *args], capture_output=True, text=True)


def test_cli_gold_index_and_eval(gold, tmp_path):
    idx = tmp_path / "gold.tgi"
    done = _tally("gold-index", *map(str, SPLITS), "--out", str(idx), "--dataset-version", "t")
    assert done.returncode == 0, done.stderr
    path = _write(tmp_path / "pred.jsonl", _preds(gold, 8, 0.25))
    a = _tally("eval", "--gold", str(idx), "--pred", str(path), "--json", "--bootstrap", "30")
    b = _tally("eval", *[x for s in SPLITS for x in ("--gold", str(s))], "--pred", str(path),
               "--json", "--bootstrap", "30", "--dataset-version", "t")
    assert a.returncode == 0 and b.returncode == 0, a.stderr + b.stderr
    assert json.loads(a.stdout) == json.loads(b.stdout)
    # An existing file is never replaced without --force, and stays as it was.
    before = idx.read_bytes()
    again = _tally("gold-index", str(SPLITS[1]), "--out", str(idx))
    assert again.returncode != 0 and "--force" in again.stdout + again.stderr
    assert idx.read_bytes() == before
    # An index goes alone; a damaged one is a clear error, not a traceback.
    mixed = _tally("eval", "--gold", str(idx), "--gold", str(SPLITS[1]), "--pred", str(path))
    assert mixed.returncode != 0 and "alone" in mixed.stdout + mixed.stderr
    broken = tmp_path / "broken.tgi"
    broken.write_bytes(before[: len(before) // 2])
    bad = _tally("eval", "--gold", str(broken), "--pred", str(path))
    out = bad.stdout + bad.stderr
    assert bad.returncode != 0 and "Traceback" not in out and str(broken) in out


@pytest.mark.parametrize("piece_bytes", [1, 20_000, 300_000])
def test_pieces_score_as_the_whole_file(gold, index, tmp_path, monkeypatch, piece_bytes):
    """Reading and scoring piece by piece (bounded memory) changes nothing: not the report,
    not the soft-credit sums that continue from piece to piece, not the missing documents."""
    import functools

    import numpy as np

    import tally.eval.api as api
    from tally.eval.columnar import score_columnar, score_file

    preds = _preds(gold, 9, 0.4)[: len(gold) * 3 // 4]
    path = _write(tmp_path / "pred.jsonl", preds)
    whole = read_predictions(path, index)
    acc, rows = score_columnar(index, whole, 1.0)
    got = score_file(index, path, 1.0, piece_bytes=piece_bytes)
    assert got is not None
    acc2, rows2, missing, n_pred = got
    assert np.array_equal(rows, rows2) and missing == whole.missing and n_pred == whole.n_pred
    for part in ("counts", "credit", "confusion", "duplicates"):
        assert getattr(acc, part) == getattr(acc2, part), part
    monkeypatch.setattr(api, "score_file", functools.partial(score_file,
                                                             piece_bytes=piece_bytes))
    rep = evaluate_index(index, path, allow_missing=True, bootstrap=30).to_json()
    ref = evaluate_file(gold, path, allow_missing=True, bootstrap=30, reference=True).to_json()
    rep.pop("dataset_version"), ref.pop("dataset_version")
    assert rep == ref
    # A document predicted in two pieces: declined, and the per-document path names it.
    dup = _write(tmp_path / "dup.jsonl", preds + preds[:1])
    assert score_file(index, dup, 1.0, piece_bytes=piece_bytes) is None
    with pytest.raises(TallyError) as exc:
        evaluate_index(index, dup, allow_missing=True)
    assert any("predicted twice" in str(p) or "duplicate" in str(p)
               for p in exc.value.problems)


def test_pieces_are_whole_lines_and_cover_the_file(tmp_path):
    from tally.eval.columnar_read import iter_pieces

    lines = [b'{"id": "a"}', b'{"id": "' + b"b" * 50 + b'"}', b"{}", b'{"x": 1}']
    for tail in (b"\n", b""):
        path = tmp_path / "f.jsonl"
        data = b"\n".join(lines) + tail
        path.write_bytes(data)
        for size in (1, 7, 30, 1000):
            pieces = [bytes(p) for p in iter_pieces(path, size)]
            assert b"".join(pieces) == data
            assert all(p.endswith(b"\n") for p in pieces[:-1])
            assert all(p.startswith(b"{") for p in pieces)
