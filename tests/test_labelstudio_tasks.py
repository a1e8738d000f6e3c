"""Label Studio tasks from plain text and canonical JSONL, with baseline pre-annotations."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from tally.schema.diagnostics import TallyError
from tally.schema.jsonl import write_jsonl
from tally.schema.labelstudio.convert import META_KEY, Where, results_to_document
from tally.schema.labelstudio.tasks import TextMeta, build_tasks, load_articles
from tests.labelstudio_docs import corpus_docs, unicode_doc


@pytest.fixture(scope="module")
def rules_model(tmp_path_factory):
    from tally.baselines import documents_hash, save_model, train_system

    train = corpus_docs()[:40]
    out = tmp_path_factory.mktemp("model") / "rules"
    model = train_system("rules", train, seed=0)
    save_model(model, out, train_hash=documents_hash(train), n_train=len(train), seed=0,
               dev_scores={"tally_strict": 0.5})
    return out


def test_tasks_from_plain_text_keep_the_text_and_metadata(tmp_path):
    text = "Ta’ang fighters seize 3 posts 😀\n\nLASHIO — “Heavy fighting” went on.\n"
    (tmp_path / "ta'ang 01.txt").write_text(text, encoding="utf-8")
    docs = load_articles([tmp_path], TextMeta(date="2023-11-17", country="Myanmar"))
    (task,) = build_tasks(docs)
    assert task["data"]["text"] == text
    meta = task["data"][META_KEY]
    assert meta["id"] == "ta-ang-01" and meta["headline"]["text"] == text.splitlines()[0]
    assert meta["dateline"]["date"] == "2023-11-17" and meta["country"] == "Myanmar"
    w = Where("x", 1, 1)
    doc = results_to_document(meta, text, [], w)
    assert doc is not None and doc.text == text


def test_tasks_from_jsonl_with_canonical_annotations_and_model(tmp_path, rules_model):
    src = tmp_path / "docs.jsonl"
    doc = unicode_doc()
    write_jsonl(src, [doc, *corpus_docs()[-2:]])
    out = tmp_path / "tasks.json"
    from tally.cli import app

    res = CliRunner().invoke(app, ["labelstudio", "tasks", str(src), "-o", str(out),
                                   "--model", str(rules_model), "--keep-annotations"])
    assert res.exit_code == 0, res.output
    tasks = json.loads(out.read_text("utf-8"))
    assert len(tasks) == 3
    canon, model = tasks[0]["predictions"]
    assert canon["model_version"] == "tally-canonical"
    assert model["model_version"].startswith("rules-") and model["score"] == 0.5
    # The canonical prediction converts back to the document; the model's to its prediction.
    w = Where("x", 1, 1)
    assert results_to_document(tasks[0]["data"][META_KEY], doc.text, canon["result"], w) == doc
    assert any(r["from_name"] == "trigger" for t in tasks for r in t["predictions"][1]["result"])


def test_tasks_refuse_documents_without_text(tmp_path):
    src = tmp_path / "docs.jsonl"
    write_jsonl(src, [unicode_doc().model_copy(update={"text": None})])
    with pytest.raises(TallyError, match="no text"):
        load_articles([src], TextMeta())
