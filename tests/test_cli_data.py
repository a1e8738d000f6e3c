"""CLI exit codes and messages for the data commands: clean input 0, bad input 1, no tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from tally.cli import app

from .conftest import DATA, SEED_DIR, SMALL_TLY, TEXT_DIR_ARGS

runner = CliRunner()


def _run(*args: str):
    return runner.invoke(app, list(args))


def test_validate_bundled_data_is_clean():
    res = _run("validate", str(DATA), *TEXT_DIR_ARGS)
    assert res.exit_code == 0, res.output
    assert "valid" in res.output


def test_validate_bad_file_exits_1_naming_file_line_doc_field(tmp_path: Path, small_doc):
    d = small_doc.model_dump(mode="json")
    d["events"][0]["type"] = "PICNIC"
    f = tmp_path / "bad.jsonl"
    f.write_text(json.dumps(d) + "\n")
    res = _run("validate", str(f))
    assert res.exit_code == 1
    assert f"{f}:1: [test-001] events[0].type: unknown event type 'PICNIC'" in res.output
    assert "Traceback" not in res.output


def test_validate_json_format(tmp_path: Path):
    f = tmp_path / "bad.jsonl"
    f.write_text("[1, 2]\n")
    res = _run("validate", str(f), "--format", "json")
    assert res.exit_code == 1
    problems = json.loads(res.stdout)
    assert problems[0]["line"] == 1 and "JSON list" in problems[0]["message"]


def test_missing_path_is_an_error(tmp_path: Path):
    res = _run("validate", str(tmp_path / "nope.jsonl"))
    assert res.exit_code == 1 and "no such file" in res.output


def test_compile_writes_nothing_on_error(tmp_path: Path):
    good = tmp_path / "good.tly"
    bad = tmp_path / "bad.tly"
    good.write_text(SMALL_TLY)
    bad.write_text(SMALL_TLY.replace("[killed]{e2}", "[killed{e2}"))
    out = tmp_path / "out.jsonl"
    res = _run("compile", str(tmp_path), "-o", str(out))
    assert res.exit_code == 1 and not out.exists()
    assert "bad.tly" in res.output and "never closed" in res.output


def test_compile_never_overwrites_without_force(tmp_path: Path):
    (tmp_path / "a.tly").write_text(SMALL_TLY)
    out = tmp_path / "out.jsonl"
    out.write_text("precious\n")
    res = _run("compile", str(tmp_path / "a.tly"), "-o", str(out))
    assert res.exit_code == 1 and out.read_text() == "precious\n"
    res = _run("compile", str(tmp_path / "a.tly"), "-o", str(out), "--force")
    assert res.exit_code == 0 and json.loads(out.read_text())["id"] == "test-001"


def test_decompile_round_trip_and_refuses_to_overwrite(tmp_path: Path):
    (tmp_path / "a.tly").write_text(SMALL_TLY)
    out = tmp_path / "c.jsonl"
    assert _run("compile", str(tmp_path / "a.tly"), "-o", str(out)).exit_code == 0
    res = _run("decompile", str(out), "-o", str(tmp_path / "tly"))
    assert res.exit_code == 0, res.output
    assert (tmp_path / "tly" / "test-001.tly").exists()
    res = _run("decompile", str(out), "-o", str(tmp_path / "tly"))
    assert res.exit_code == 1 and "refusing to overwrite" in res.output


def test_hydrate_fills_text_and_refuses_a_different_copy(tmp_path: Path, seed_doc):
    out = tmp_path / "seed.jsonl"
    res = _run("hydrate", str(DATA / "seed"), "--from", str(SEED_DIR), "-o", str(out))
    assert res.exit_code == 0, res.output
    assert json.loads(out.read_text())["text"] == seed_doc.text
    fake = tmp_path / "fake"
    fake.mkdir()
    (fake / "efe-myanmar-2023-11-17.txt").write_text(seed_doc.text.replace("750", "751"))
    res = _run("hydrate", str(DATA / "seed"), "--from", str(fake), "-o", str(tmp_path / "x.jsonl"))
    assert res.exit_code == 1 and "refusing it" in res.output
    assert not (tmp_path / "x.jsonl").exists()


def test_unhydrated_seed_validates_with_a_warning():
    res = _run("validate", str(DATA / "seed"))
    assert res.exit_code == 0
    assert "not hydrated" in res.output and "tally hydrate" in res.output


def test_stats_prints_seed_counts(seed_doc):
    res = _run("stats", str(DATA / "seed"), "--text-dir", str(SEED_DIR), "--format", "json")
    assert res.exit_code == 0, res.output
    st = json.loads(res.stdout)
    assert st["totals"]["documents"] == 1
    assert st["totals"]["event_mentions"] == len(seed_doc.events)
    assert st["totals"]["numbers"] == len(seed_doc.numbers)
    assert st["qualifier"]["more_than"] == 2


def test_every_command_has_help():
    import typer.main

    group = typer.main.get_command(app)
    for name, cmd in group.commands.items():
        assert (cmd.help or "").strip(), f"command {name} has no help text"


def test_real_process_exit_code_and_no_traceback(tmp_path: Path):
    f = tmp_path / "bad.jsonl"
    f.write_text("{broken\n")
    proc = subprocess.run([sys.executable, "-m", "tally", "validate", str(f)],
                          capture_output=True, text=True)
    assert proc.returncode == 1
    assert "malformed JSON" in proc.stderr and "Traceback" not in proc.stderr
