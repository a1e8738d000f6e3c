"""Against a real Label Studio server (no mocks): push the generated config and tasks with
predictions, annotate through the API as annotators would, pull back and check the canonical
result. The server is installed in its own venv on first use (tests/labelstudio_server.py).

Set TALLY_SKIP_LABEL_STUDIO=1 to skip these tests explicitly; otherwise a failure to install or
start the server fails them with the server's log tail."""

from __future__ import annotations

import json
import os
import random
import string
import sys

import pytest
from typer.testing import CliRunner

from tally.schema.diagnostics import TallyError
from tally.schema.labelstudio import client
from tally.schema.labelstudio.convert import layers_to_results
from tally.schema.labelstudio.tasks import build_tasks, model_predictions
from tests.labelstudio_docs import corpus_docs, unicode_doc
from tests.labelstudio_server import free_port, start_server

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def ls_server(tmp_path_factory):
    if os.environ.get("TALLY_SKIP_LABEL_STUDIO") == "1":
        pytest.skip("TALLY_SKIP_LABEL_STUDIO=1")
    try:
        server = start_server(tmp_path_factory.mktemp("label-studio"))
    except Exception as exc:  # install or start failed: fail with the log tail
        pytest.fail(f"Label Studio server unavailable: {exc}", pytrace=False)
    install = (f"installed in {server.install_seconds:.0f} s, "
               if server.install_seconds is not None else "")
    print(f"\nLabel Studio at {server.url}: {install}healthy after {server.start_seconds:.0f} s",
          file=sys.stderr)
    yield server
    server.stop()


@pytest.fixture()
def env(ls_server, monkeypatch):
    monkeypatch.setenv("LABEL_STUDIO_URL", ls_server.url)
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", ls_server.token)
    return ls_server


def _cli(*args: str):
    from tally.cli import app

    res = CliRunner().invoke(app, list(args))
    assert res.exit_code == 0, res.output
    return res


def _annotator_ids(results: list[dict], rng: random.Random) -> list[dict]:
    """The same annotation as the Label Studio UI would save it: random region ids."""
    alphabet = string.ascii_letters + string.digits + "_-"
    ids: dict[str, str] = {}
    out = json.loads(json.dumps(results))
    for r in out:
        for key in ("id", "from_id", "to_id"):
            if key in r:
                r[key] = ids.setdefault(r[key], "".join(rng.choice(alphabet) for _ in range(10)))
    return out


def _same_but_provenance(a, b) -> bool:
    strip = {"provenance": {"annotator"}}
    return a.model_dump(exclude=strip) == b.model_dump(exclude=strip)


def test_push_annotate_pull_import_and_agreement(env, tmp_path):
    corpus = corpus_docs()
    docs = [unicode_doc(), *[d for d in corpus if d.relations][:2], corpus[0]]
    from tally.baselines import documents_hash, save_model, train_system

    model_dir = tmp_path / "rules"
    train = corpus[10:50]
    save_model(train_system("rules", train), model_dir, train_hash=documents_hash(train),
               n_train=len(train), seed=0, dev_scores={"tally_strict": 0.42})
    preds, version, score = model_predictions(model_dir, docs)
    tasks_file = tmp_path / "tasks.json"
    tasks_file.write_text(json.dumps(build_tasks(docs, predictions=preds, model_version=version,
                                                 score=score, keep_annotations=True)), "utf-8")

    guide = "https://example.org/GUIDELINES.md"
    out = _cli("labelstudio", "push", str(tasks_file), "--title", "Tally test batch",
               "--guidelines-url", guide).stdout
    project = int(out.split()[1].rstrip(":"))
    conn = client.connect(env.url, env.token)
    sdk = conn.client
    project_obj = sdk.projects.get(project)
    assert guide in (project_obj.description or "")
    assert guide in (project_obj.expert_instruction or "") and project_obj.show_instruction

    # Predictions come back whole (not as ids), with model version and score.
    pulled = client.pull(conn, project)
    assert len(pulled) == len(docs)
    by_doc = {t["data"]["tally"]["id"]: t for t in pulled}
    for d in docs:
        versions = {p["model_version"]: p for p in by_doc[d.id]["predictions"]}
        assert versions["tally-canonical"]["result"] == layers_to_results(d)
        assert versions[version]["score"] == pytest.approx(0.42)

    # Two annotators: the first accepts the canonical pre-annotation (its region ids are kept),
    # the second draws the same regions (random ids) but types one event differently.
    me = sdk.users.whoami().id
    other = sdk.users.create(email="second@tally.test", username="second",
                             password="second-pass-123").id
    rng = random.Random(0)
    for d in docs:
        task_id = by_doc[d.id]["id"]
        sdk.annotations.create(task_id, result=layers_to_results(d), completed_by=me)
        second = _annotator_ids(layers_to_results(d), rng)
        if d.id == "ls-unicode-001":
            trig = next(r for r in second if r["from_name"] == "trigger"
                        and r["value"]["text"] == "Fighting")
            trig["value"]["labels"] = ["ATTACK"]
        sdk.annotations.create(task_id, result=second, completed_by=other)

    export = tmp_path / "export.json"
    _cli("labelstudio", "pull", str(project), "-o", str(export))
    _cli("labelstudio", "import", str(export), "-o", str(tmp_path / "sets"))
    first = {d.id: d for d in _read(tmp_path / "sets" / f"{env.username}.jsonl")}
    second = {d.id: d for d in _read(tmp_path / "sets" / "second@tally.test.jsonl")}
    for d in docs:
        assert _same_but_provenance(first[d.id], d), d.id
        got = second[d.id]
        assert [(e.type if e.trigger.text != "Fighting" or d.id != "ls-unicode-001"
                 else "ARMED_CLASH", e.trigger) for e in got.events] == \
               [(e.type, e.trigger) for e in d.events]
        assert [(n.span, n.value, n.qualifier, n.kind) for n in got.numbers] == \
               [(n.span, n.value, n.qualifier, n.kind) for n in d.numbers]
    assert first["ls-unicode-001"].provenance.annotator == env.username

    table = _cli("labelstudio", "agreement", str(export), "--bootstrap", "0").stdout
    assert f"{env.username} vs second@tally.test" in table
    assert "| Number span | 1.000 |" in table and "| Trigger (span) | 1.000 |" in table
    assert "| Trigger + type | 1.000 |" not in table


def _read(path):
    from tally.schema.jsonl import iter_json_lines, parse_model
    from tally.schema.models import Document

    return [parse_model(Document, obj, path, n)[0] for n, obj, _ in iter_json_lines(path)]


def test_refused_token_is_a_clear_error(ls_server):
    with pytest.raises(TallyError, match="refused the token"):
        client.connect(ls_server.url, "not-the-token")


def test_unreachable_server_is_a_clear_error():
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(TallyError, match="cannot reach Label Studio"):
        client.connect(url, "whatever")
    from tally.cli import app

    res = CliRunner().invoke(app, ["labelstudio", "pull", "1", "-o", "x.json", "--url", url,
                                   "--token", "t"])
    assert res.exit_code == 1 and "cannot reach Label Studio" in res.output
    assert "Traceback" not in res.output
