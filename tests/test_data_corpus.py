"""The bundled corpus: split files in sync with the sources, story-clustered splits, and loading
through Hugging Face `datasets` offline with explicit nested Features."""

from __future__ import annotations

import json

import pytest

from tally.data.corpus import assign_splits, build_corpus, read_splits

from .conftest import DATA, SMALL_TLY, compile_ok

SPLIT_FILES = [DATA / f"{sp}.jsonl" for sp in ("train", "dev", "test")]


def _lines(path):
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def test_split_files_and_card_are_built_from_the_sources():
    build_corpus(DATA, check=True)  # raises, naming the stale files, when out of date


def test_stories_never_cross_splits_and_unseen_conflicts_are_test_only():
    seen: dict[str, str] = {}
    conflicts: dict[str, set[str]] = {}
    for f in SPLIT_FILES:
        for d in _lines(f):
            assert seen.setdefault(d["story"], f.stem) == f.stem, d["story"]
            conflicts.setdefault(f.stem, set()).add(d["conflict"])
            if d["unseen_conflict"]:
                assert f.stem == "test", d["id"]
    unseen = {d["conflict"] for d in _lines(DATA / "test.jsonl") if d["unseen_conflict"]}
    assert not unseen & (conflicts.get("train", set()) | conflicts.get("dev", set()))


def test_assignments_are_stable_when_stories_are_added():
    base = compile_ok(SMALL_TLY)
    docs = [base.model_copy(update={"id": f"d{i}", "story": f"s{i}"}) for i in range(40)]
    first = assign_splits(docs[:20], {})
    second = assign_splits(docs, first)
    assert {s: second[s] for s in first} == first
    assert assign_splits(docs, {}) == assign_splits(list(reversed(docs)), {})
    assert set(second.values()) == {"train", "dev", "test"}


def test_read_splits_matches_the_files():
    splits = read_splits()
    for f in SPLIT_FILES:
        for d in _lines(f):
            assert splits[d["story"]] == f.stem


@pytest.fixture(scope="module")
def hf_dataset(tmp_path_factory):
    import os

    os.environ["HF_DATASETS_OFFLINE"] = "1"
    os.environ["HF_HUB_OFFLINE"] = "1"
    import datasets

    # A fresh cache: datasets may serve an old copy of a local folder from its shared cache.
    return datasets.load_dataset(str(DATA), cache_dir=str(tmp_path_factory.mktemp("hf")))


def test_load_dataset_offline_gives_the_splits_with_explicit_features(hf_dataset):
    from tally.data.features import document_features

    assert set(hf_dataset) == {"train", "dev", "test"}
    for split, ds in hf_dataset.items():
        assert ds.features == document_features()
        assert len(ds) == len(_lines(DATA / f"{split}.jsonl"))
    row = hf_dataset["train"][0]
    for ev in row["events"]:
        t = ev["trigger"]
        assert row["text"][t["start"]:t["end"]] == t["text"]
    for n in row["numbers"]:
        assert row["text"][n["span"]["start"]:n["span"]["end"]] == n["span"]["text"]


def test_tally_data_load_returns_the_same_dataset_dict(hf_dataset):
    import tally.data

    ours = tally.data.load()
    assert set(ours) == set(hf_dataset)
    for split in ours:
        assert ours[split].features == hf_dataset[split].features
        assert ours[split]["id"] == hf_dataset[split]["id"]


def test_load_split_returns_validated_documents():
    import tally.data

    docs = tally.data.load_split("train")
    assert len(docs) == len(_lines(DATA / "train.jsonl"))
    assert all(d.text is not None for d in docs)


def _mini_corpus(tmp_path, n=4):
    import shutil

    srcs = sorted((DATA / "authoring").rglob("*.tly"))[:n]
    (tmp_path / "authoring").mkdir()
    for f in srcs:
        shutil.copy(f, tmp_path / "authoring" / f.name)
    shutil.copy(DATA / "README.md", tmp_path / "README.md")
    return srcs


def test_agreement_table_is_generated_from_second_annotations(tmp_path):
    import shutil

    srcs = _mini_corpus(tmp_path)
    second = tmp_path / "agreement" / "annotator-t"
    second.mkdir(parents=True)
    shutil.copy(srcs[0], second / srcs[0].name)  # an identical annotation agrees perfectly
    build_corpus(tmp_path)
    card = (tmp_path / "README.md").read_text(encoding="utf-8")
    block = card.split("<!-- agreement:start", 1)[1].split("<!-- agreement:end", 1)[0]
    assert "Second annotation of 1 documents" in block
    assert "| Tally F1, strict | 1.000 |" in block
    build_corpus(tmp_path, check=True)


def test_second_annotation_of_a_different_text_is_refused(tmp_path):
    from tally.schema.diagnostics import TallyError

    srcs = _mini_corpus(tmp_path)
    second = tmp_path / "agreement" / "annotator-t"
    second.mkdir(parents=True)
    raw = srcs[0].read_text(encoding="utf-8")
    head, body, ann = raw.split("\n---\n", 2)
    (second / srcs[0].name).write_text(head + "\n---\n" + body.replace(" ", "  ", 1) + "\n---\n"
                                       + ann, encoding="utf-8")
    with pytest.raises(TallyError, match="text differs"):
        build_corpus(tmp_path)


def test_tally_data_load_sees_changed_files(tmp_path, monkeypatch):
    import shutil

    import tally.data

    monkeypatch.setenv("TALLY_HF_CACHE", str(tmp_path / "cache"))
    d = tmp_path / "data"
    d.mkdir()
    for name in ("README.md", "train.jsonl", "dev.jsonl", "test.jsonl"):
        shutil.copy(DATA / name, d / name)
    before = len(tally.data.load(d)["train"])
    lines = (d / "train.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    (d / "train.jsonl").write_text("".join(lines[:-1]), encoding="utf-8")
    assert len(tally.data.load(d)["train"]) == before - 1


def test_blank_copy_keeps_text_and_metadata_and_drops_every_annotation():
    from tally.data.agreement import blank_tly
    from tally.schema.authoring import compile_text

    doc = compile_ok(SMALL_TLY)
    blank, problems = compile_text(blank_tly(doc))
    assert not problems
    assert blank.text_sha256 == doc.text_sha256 and blank.dateline == doc.dateline
    assert (blank.events, blank.numbers, blank.times, blank.relations) == ([], [], [], [])
