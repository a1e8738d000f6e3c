"""Docs that cannot drift: every CLI command is in the README; Quick start matches .ci/run."""

from __future__ import annotations

import re

import typer.main

from tally.cli import app

from .conftest import ROOT


def _commands() -> list[str]:
    group = typer.main.get_command(app)
    names = []
    for name, cmd in group.commands.items():
        sub = getattr(cmd, "commands", None)
        names += [f"{name} {s}" for s in sub] if sub else [name]
    return names


def test_every_command_is_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [c for c in _commands() if f"`tally {c}" not in readme]
    assert not missing, f"commands missing from README's CLI table: {missing}"


def test_quick_start_has_two_commands_and_ci_runs_the_test_one():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quick = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```bash\n(.*?)\n```", quick, re.S)
    assert len(blocks) == 2 and all("\n" not in b for b in blocks), blocks
    assert blocks[1] in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_readme_results_rows_come_from_the_generated_results_page():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    results = (ROOT / "baselines" / "RESULTS.md").read_text(encoding="utf-8")
    block = readme.split("<!-- results:start -->", 1)[1].split("<!-- results:end -->", 1)[0]
    rows = [r for r in block.splitlines() if r.startswith("| ") and "metric" not in r]
    assert rows, "no result rows in the README"
    test_table = results.split("### Test\n", 1)[1].split("\n\n###", 1)[0]
    for row in rows:
        assert row in test_table, f"README row not in baselines/RESULTS.md (rerun bench): {row}"
