"""The leaderboard: built from two example submissions made by real system runs (the rules and
linear baselines, tests/leaderboard_helpers.py), checked loudly, comparable, and leak-free in
hidden-gold mode."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import orjson
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from tally.cli import app
from tally.eval.leaderboard import assemble, build, make_row
from tally.eval.submission import discover, load_metadata
from tally.schema.diagnostics import TallyError
from tally.schema.jsonl import write_jsonl
from tally.schema.models import Prediction

from .leaderboard_helpers import SYSTEMS, all_gold_strings, gold_docs, write_gold, write_submission

BOOT = 200  # enough resamples for a CI; keeps the suite fast


def _gold_as_prediction(doc) -> Prediction:
    return Prediction(id=doc.id, events=doc.events, numbers=doc.numbers, times=doc.times,
                      relations=doc.relations)


@pytest.fixture(scope="module")
def example(tmp_path_factory) -> dict:
    """Gold outside any repository, two example submissions, and the board built from them."""
    root = tmp_path_factory.mktemp("lb")
    gold = write_gold(root / "secret-gold")
    subs = root / "submissions"
    for name in SYSTEMS:
        write_submission(subs, name)
    out = root / "site"
    res = build(subs, [root / "secret-gold"], out, hidden_gold=True, bootstrap=BOOT)
    return {"root": root, "gold": gold, "subs": subs, "out": out, "res": res}


def _meta(**over) -> dict:
    m = dict(SYSTEMS["rules-baseline"][1])
    m.update(over)
    return {k: v for k, v in m.items() if v != "DROP"}


# ------------------------------------------------------------------ the board


def test_board_has_both_submissions_on_both_splits(example):
    board = json.loads((example["out"] / "leaderboard.json").read_text())
    assert board["format"] == "tally-leaderboard/1"
    assert list(board["splits"]) == ["test", "dev"]
    for sec in board["splits"].values():
        names = {r["submission"] for r in sec["rows"]}
        assert names == {"rules-baseline", "linear-baseline"}
        assert [r["rank"] for r in sec["rows"]] == [1, 2]
        for r in sec["rows"]:
            for key in ("scorer_version", "dataset_version", "gold_sha256", "regime"):
                assert r[key] and r[key] == sec["provenance"][key]
            m = r["metrics"]["tally_strict"]
            assert m["ci_low"] <= m["value"] <= m["ci_high"]
        vals = [r["metrics"]["tally_strict"]["value"] for r in sec["rows"]]
        assert vals == sorted(vals, reverse=True)
    # The linear baseline learns the fixture's counts; the rules miss most qualifiers and links.
    top = board["splits"]["test"]["rows"][0]
    rules = board["splits"]["test"]["rows"][1]
    assert top["submission"] == "linear-baseline"
    assert top["metrics"]["tally_strict"]["value"] > rules["metrics"]["tally_strict"]["value"] > 0


def test_outputs_written(example):
    out = example["out"]
    md = (out / "LEADERBOARD.md").read_text()
    assert "| 1 | **Linear baseline** |" in md
    assert "Rules baseline" in md
    html = (out / "index.html").read_text()
    assert 'id="board-test"' in html and 'id="plot-test"' in html
    assert "<link" not in html and "src=" not in html  # no external asset
    assert sorted(p.name for p in (out / "results").iterdir()) == [
        "linear-baseline.dev.json", "linear-baseline.test.json",
        "rules-baseline.dev.json", "rules-baseline.test.json"]


def test_build_is_deterministic(example, tmp_path):
    build(example["subs"], [example["root"] / "secret-gold"], tmp_path, hidden_gold=True,
          bootstrap=BOOT)
    for name in ("LEADERBOARD.md", "leaderboard.json", "index.html"):
        assert (tmp_path / name).read_bytes() == (example["out"] / name).read_bytes()


def test_gold_scored_against_itself_is_perfect(tmp_path):
    gold = write_gold(tmp_path / "gold")
    folder = tmp_path / "subs" / "oracle"
    folder.mkdir(parents=True)
    write_jsonl(folder / "dev.jsonl", [_gold_as_prediction(d) for d in gold_docs("dev")])
    (folder / "metadata.json").write_text(json.dumps(_meta(system="Oracle")))
    res = build(tmp_path / "subs", [gold["dev"]], tmp_path / "out", bootstrap=BOOT)
    (row,) = res.board["splits"]["dev"]["rows"]
    for key, m in row["metrics"].items():
        assert m["value"] == pytest.approx(1.0), key
    assert res.board["splits"]["dev"]["provenance"]["gold"] == "dev.jsonl"


# ------------------------------------------------------------------ hidden gold


def _scan(text: str) -> list[str]:
    return [g for g in all_gold_strings() if len(g) >= 4 and g in text]


def test_hidden_gold_never_reaches_outputs(example):
    texts = {p.name: p.read_text() for p in example["out"].rglob("*") if p.is_file()}
    assert texts
    for name, text in texts.items():
        assert _scan(text) == [], name
    assert "secret-gold" not in "".join(texts.values())  # not even the gold's path


def test_hidden_gold_redacts_error_messages(example, tmp_path):
    """A span whose text differs from the gold makes the loader quote the gold text; in
    hidden-gold mode the message must not carry it (a pull request's log is public)."""
    subs = tmp_path / "subs"
    folder = write_submission(subs, "linear-baseline")
    lines = (folder / "dev.jsonl").read_text().splitlines()
    first = json.loads(lines[0])
    trig = first["events"][0]["trigger"]
    trig["text"] = "x" * len(trig["text"])
    lines[0] = json.dumps(first)
    (folder / "dev.jsonl").write_text("\n".join(lines) + "\n")
    gold = str(example["root"] / "secret-gold")
    runner = CliRunner()
    shown = runner.invoke(app, ["leaderboard", "check", str(folder), "--gold", gold,
                                "--bootstrap", "0"])
    assert shown.exit_code == 1 and "Traceback" not in shown.output
    hidden = runner.invoke(app, ["leaderboard", "check", str(folder), "--gold", gold,
                                 "--hidden-gold", "--bootstrap", "0"])
    assert hidden.exit_code == 1
    assert "dev.jsonl:1" in hidden.output  # still says where
    assert _scan(shown.output), "the test needs a message that quotes gold text"
    assert _scan(hidden.output) == []


def test_hidden_gold_inside_the_repository_is_refused(tmp_path):
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    gold = write_gold(repo / "gold")
    write_submission(repo / "submissions", "rules-baseline", splits=("dev",))
    with pytest.raises(TallyError, match="inside the repository"):
        build(repo / "submissions", [gold["dev"]], tmp_path / "out", hidden_gold=True)
    # Without hidden mode a public gold in the repository is fine.
    build(repo / "submissions", [gold["dev"]], tmp_path / "out", bootstrap=0)


def test_hidden_gold_via_environment(example, tmp_path):
    env = {"TALLY_GOLD": str(example["root"] / "secret-gold"), "TALLY_HIDDEN_GOLD": "1"}
    res = CliRunner().invoke(app, ["leaderboard", "build", str(example["subs"]), "--out",
                                   str(tmp_path), "--bootstrap", "0"], env=env)
    assert res.exit_code == 0, res.output
    assert json.loads((tmp_path / "leaderboard.json").read_text())["hidden_gold"] is True


# ------------------------------------------------------------------ comparability


def test_rows_scored_against_different_gold_are_refused(tmp_path):
    from tally.eval import evaluate

    gold = gold_docs("dev")
    subs = tmp_path / "subs"
    write_submission(subs, "rules-baseline", splits=("dev",))
    write_submission(subs, "linear-baseline", splits=("dev",))
    (a, b), _ = discover(subs)
    preds = [_gold_as_prediction(d) for d in gold]
    rep_full = evaluate(gold, preds, bootstrap=0).to_json()
    rep_less = evaluate(gold[:2], preds[:2], bootstrap=0).to_json()
    assert rep_full["gold_sha256"] != rep_less["gold_sha256"]
    rows = [make_row(a, "dev", rep_full, n_docs=3, bootstrap=0, seed=0, regime="exact"),
            make_row(b, "dev", rep_less, n_docs=2, bootstrap=0, seed=0, regime="exact")]
    with pytest.raises(TallyError, match="comparability") as exc:
        assemble(rows, hidden_gold=False)
    assert {p.file for p in exc.value.problems} == {"rules-baseline", "linear-baseline"}
    rep_overlap = evaluate(gold, preds, bootstrap=0, regime="overlap").to_json()
    rows[1] = make_row(b, "dev", rep_overlap, n_docs=3, bootstrap=0, seed=0, regime="overlap")
    with pytest.raises(TallyError, match="regime=overlap"):
        assemble(rows, hidden_gold=False)


# ------------------------------------------------------------------ metadata


@pytest.mark.parametrize(("change", "field", "expected"), [
    ({"llm": "DROP"}, "llm", "null when no LLM"),
    ({"date": "24/11/2026"}, "date", "YYYY-MM-DD"),
    ({"authors": []}, "authors", "non-empty list"),
    ({"paper_url": "javascript:alert(1)"}, "paper_url", "http(s) URL"),
    ({"external_data": "maybe"}, "external_data", "true or false"),
    ({"system": ""}, "system", "1-80 characters"),
    ({"weights": "model.pkl"}, "weights", "one of system, authors"),
])
def test_metadata_errors_name_file_field_expected(tmp_path, change, field, expected):
    path = tmp_path / "metadata.yaml"
    path.write_text(yaml.safe_dump(_meta(**change)))
    meta, problems = load_metadata(path)
    assert meta is None
    assert [p.field for p in problems] == [field]
    assert problems[0].file == str(path) and expected in (problems[0].expected or "")


def test_metadata_yaml_is_never_executed(tmp_path):
    sentinel = tmp_path / "pwned"
    path = tmp_path / "metadata.yaml"
    path.write_text(f'system: !!python/object/apply:os.system ["touch {sentinel}"]\n')
    meta, problems = load_metadata(path)
    assert meta is None and "malformed YAML" in problems[0].message
    assert problems[0].line == 1
    assert not sentinel.exists()


def test_metadata_not_a_mapping(tmp_path):
    path = tmp_path / "metadata.json"
    path.write_text("[1, 2]")
    _, problems = load_metadata(path)
    assert "found a list" in problems[0].message


# ------------------------------------------------------------------ folders and names


def _subs_with(tmp_path: Path, *names: str) -> Path:
    subs = tmp_path / "subs"
    for n in names:
        write_submission(subs, "rules-baseline", splits=("dev",))
        if n != "rules-baseline":
            (subs / "rules-baseline").rename(subs / n)
    return subs


def _problems(subs: Path) -> dict[str, list[str]]:
    found, problems = discover(subs)
    out: dict[str, list[str]] = {s.name: [] for s in found}
    for p in problems:
        out.setdefault(Path(p.file).name if Path(p.file).parent == subs else p.file,
                       []).append(p.message)
    return out


def test_unsafe_folder_names_are_rejected(tmp_path):
    subs = _subs_with(tmp_path, "ok-1", "bad name", "-dash", "a" * 65)
    got = _problems(subs)
    assert got["ok-1"] == []
    for bad in ("bad name", "-dash", "a" * 65):
        assert "not a safe name" in got[bad][0]


def test_symlinks_are_rejected(tmp_path, example):
    subs = _subs_with(tmp_path, "real")
    os.symlink(subs / "real", subs / "linked")
    (subs / "real" / "test.jsonl").symlink_to(example["gold"]["test"])
    found, problems = discover(subs)
    assert found == []
    msgs = {(Path(p.file).name, p.message) for p in problems}
    assert ("linked", "the submission folder is a symbolic link") in msgs
    assert ("test.jsonl", "symbolic links are not accepted") in msgs


def test_code_and_unknown_files_are_rejected(tmp_path):
    subs = _subs_with(tmp_path, "sys")
    (subs / "sys" / "model.pkl").write_bytes(b"\x80\x04K\x01.")
    (subs / "sys" / "score.py").write_text("print('hi')\n")
    (subs / "sys" / "nested").mkdir()
    found, problems = discover(subs)
    assert found == []
    assert sorted(Path(p.file).name for p in problems) == ["model.pkl", "nested", "score.py"]
    assert all(p.expected and p.expected.startswith("only the files") for p in problems)


def test_colliding_entries_are_rejected(tmp_path):
    subs = _subs_with(tmp_path, "Alpha", "alpha", "beta", "gamma", "delta")
    # beta and gamma claim the same system under another spelling.
    (subs / "gamma" / "metadata.yaml").write_text(yaml.safe_dump(
        _meta(system=SYSTEMS["rules-baseline"][1]["system"].upper().replace(" ", "_"))))
    (subs / "delta" / "metadata.yaml").write_text(yaml.safe_dump(_meta(system="Delta")))
    (subs / "alpha" / "metadata.yaml").write_text(yaml.safe_dump(_meta(system="Other")))
    (subs / "Alpha" / "metadata.yaml").write_text(yaml.safe_dump(_meta(system="Other 2")))
    found, problems = discover(subs)
    assert [s.name for s in found] == ["delta"]
    fields = sorted((Path(p.file).name, p.field) for p in problems)
    assert fields == [("Alpha", "folder name"), ("alpha", "folder name"),
                      ("beta", "system"), ("gamma", "system")]


def test_missing_metadata_and_predictions(tmp_path):
    subs = tmp_path / "subs"
    (subs / "empty").mkdir(parents=True)
    (subs / "nometa").mkdir()
    (subs / "nometa" / "dev.jsonl").write_text("")
    got = _problems(subs)
    assert got["empty"] == ["no metadata file"]
    assert got["nometa"] == ["no metadata file"]
    (subs / "empty" / "metadata.json").write_text(json.dumps(_meta()))
    assert _problems(subs)["empty"] == ["no prediction file"]


# ------------------------------------------------------------------ rendering and the CLI


def test_submitter_text_cannot_inject_markup(example, tmp_path):
    subs = tmp_path / "subs"
    shutil.copytree(example["subs"] / "rules-baseline", subs / "evil")
    evil = "<script>alert(1)</script> | [x](javascript:alert(1))"
    (subs / "evil" / "metadata.yaml").write_text(yaml.safe_dump(
        _meta(system=evil, authors=["<img src=x onerror=alert(1)>"])))
    build(subs, [example["root"] / "secret-gold"], tmp_path / "out", bootstrap=0)
    html = (tmp_path / "out" / "index.html").read_text()
    assert "<script>alert" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    md = (tmp_path / "out" / "LEADERBOARD.md").read_text()
    assert "<script>" not in md and "](javascript" not in md
    assert md.count("\n| 1 |") == 2  # the pipe in the name did not split a row


def test_invalid_submission_fails_the_build_loudly(example, tmp_path):
    subs = tmp_path / "subs"
    shutil.copytree(example["subs"], subs)
    (subs / "linear-baseline" / "test.jsonl").write_text('{"id": "lbtest-1"}\n{not json\n')
    gold = str(example["root"] / "secret-gold")
    runner = CliRunner()
    res = runner.invoke(app, ["leaderboard", "build", str(subs), "--gold", gold, "--out",
                              str(tmp_path / "out"), "--bootstrap", "0"])
    assert res.exit_code == 1, res.output
    assert "Traceback" not in res.output
    assert "test.jsonl:2" in res.output and "malformed JSON" in res.output
    assert not (tmp_path / "out" / "leaderboard.json").exists()
    res = runner.invoke(app, ["leaderboard", "build", str(subs), "--gold", gold, "--out",
                              str(tmp_path / "out"), "--bootstrap", "0", "--skip-invalid"])
    assert res.exit_code == 0, res.output
    board = orjson.loads((tmp_path / "out" / "leaderboard.json").read_bytes())
    assert board["rejected"] == ["linear-baseline"]
    assert {r["submission"] for r in board["splits"]["test"]["rows"]} == {"rules-baseline"}


def test_check_command_scores_one_submission(example, tmp_path):
    out = tmp_path / "rows.json"
    res = CliRunner().invoke(app, ["leaderboard", "check",
                                   str(example["subs"] / "rules-baseline"), "--gold",
                                   str(example["root"] / "secret-gold"), "--bootstrap", "0",
                                   "--json", str(out)])
    assert res.exit_code == 0, res.output
    assert "Tally F1" in res.output
    rows = json.loads(out.read_text())
    assert sorted(r["split"] for r in rows) == ["dev", "test"]
    md = CliRunner().invoke(app, ["leaderboard", "check", str(example["subs"] / "rules-baseline"),
                                  "--gold", str(example["root"] / "secret-gold"), "--bootstrap",
                                  "0", "--markdown"])
    assert md.exit_code == 0 and "| split | Tally F1 |" in md.output
    assert md.output.count("\n| dev |") + md.output.count("\n| test |") == 2


def test_check_can_withhold_test_scores(example, tmp_path):
    """The pull-request check shows dev scores only: re-pushing cannot probe the test gold."""
    out = tmp_path / "rows.json"
    args = ["leaderboard", "check", str(example["subs"] / "linear-baseline"), "--gold",
            str(example["root"] / "secret-gold"), "--bootstrap", "0", "--json", str(out)]
    full = json.loads(out.read_text()) if CliRunner().invoke(app, args).exit_code == 0 else None
    res = CliRunner().invoke(app, [*args, "--show-scores", "dev", "--markdown"])
    assert res.exit_code == 0, res.output
    rows = {r["split"]: r for r in json.loads(out.read_text())}
    assert rows["test"]["metrics"] == {} and rows["test"]["withheld"] is True
    assert rows["dev"] == next(r for r in full if r["split"] == "dev")
    test_line = next(x for x in res.output.splitlines() if x.startswith("| test"))
    assert "withheld" in test_line and not any(ch.isdigit() for ch in test_line)
    dev = next(r for r in full if r["split"] == "dev")["metrics"]["tally_strict"]["value"]
    assert f"{100 * dev:.1f}" in res.output


def test_missing_gold_is_a_clean_error(tmp_path):
    (tmp_path / "subs").mkdir()
    res = CliRunner().invoke(app, ["leaderboard", "build", str(tmp_path / "subs"), "--gold",
                                   str(tmp_path / "nope.jsonl"), "--out", str(tmp_path / "o")])
    assert res.exit_code == 1 and "no gold file found" in res.output


def test_documented_metadata_example_is_valid(tmp_path):
    readme = (Path(__file__).resolve().parents[1] / "submissions" / "README.md").read_text()
    block = readme.split("## Metadata", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "metadata.yaml"
    path.write_text(block)
    meta, problems = load_metadata(path)
    assert problems == [] and meta is not None and meta.llm is None


def test_leak_scan_finds_gold_strings(tmp_path):
    from tally.eval.leaderboard import GoldSplit, find_leaks, gold_strings

    splits = [GoldSplit("dev", tmp_path / "dev.jsonl", gold_docs("dev"))]
    strings = gold_strings(splits)
    assert "the Zorvakhiv regional governor" in strings
    assert not [g for g in strings if g.replace(" ", "").isdigit()]  # bare numerals left out
    leaked = {"a.html": "<td>the Zorvakhiv regional governor</td>", "b.md": "40 and 2024"}
    assert find_leaks(leaked, splits) == ["a.html: 31-character gold string",
                                          "a.html: 9-character gold string"]
    assert find_leaks(leaked, splits, public="the Zorvakhiv regional governor") == []


def test_rebuild_drops_results_of_removed_submissions(example, tmp_path):
    subs = tmp_path / "subs"
    shutil.copytree(example["subs"], subs)
    gold = [example["root"] / "secret-gold"]
    build(subs, gold, tmp_path / "out", bootstrap=0)
    shutil.rmtree(subs / "rules-baseline")
    build(subs, gold, tmp_path / "out", bootstrap=0)
    assert sorted(p.name for p in (tmp_path / "out" / "results").iterdir()) == [
        "linear-baseline.dev.json", "linear-baseline.test.json"]
    with pytest.raises(TallyError, match="inside the submissions folder"):
        build(subs, gold, subs / "site", bootstrap=0)


def test_split_without_gold_is_a_warning(example, tmp_path):
    res = CliRunner().invoke(app, ["leaderboard", "check", str(example["subs"] / "rules-baseline"),
                                   "--gold", str(example["gold"]["dev"]), "--bootstrap", "0"])
    assert res.exit_code == 0, res.output
    assert "warning" in res.output and "no gold is loaded for split 'test'" in res.output


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.one_of(st.binary(max_size=300), st.text(max_size=300).map(str.encode),
                     st.dictionaries(st.sampled_from(["system", "authors", "date", "llm",
                                                      "external_data", "paper_url", "x"]),
                                     st.one_of(st.none(), st.booleans(), st.integers(),
                                               st.text(max_size=20),
                                               st.lists(st.text(max_size=5), max_size=3)))
                     .map(lambda d: json.dumps(d).encode())))
def test_fuzzed_metadata_never_crashes(tmp_path, raw):
    for name in ("metadata.yaml", "metadata.json"):
        path = tmp_path / name
        path.write_bytes(raw)
        meta, problems = load_metadata(path)
        assert (meta is None) == bool(problems)
        assert all(p.file == str(path) for p in problems)
