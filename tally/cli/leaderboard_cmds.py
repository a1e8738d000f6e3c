"""Leaderboard commands: `tally leaderboard build`, and `tally leaderboard check` for one entry."""

from __future__ import annotations

from pathlib import Path

import orjson
import typer
from rich.table import Table

from tally.cli.output import console, err_console, guard, print_problems
from tally.schema.hydrate import default_text_dirs

app = typer.Typer(help="Build the leaderboard from submission folders; check one submission.",
                  no_args_is_help=True)

GoldOpt = typer.Option(
    ..., "--gold", envvar="TALLY_GOLD",
    help="Gold JSONL named after its split (dev.jsonl, test.jsonl) or a folder of them; "
    "repeatable (also $TALLY_GOLD).")
HiddenOpt = typer.Option(
    False, "--hidden-gold", envvar="TALLY_HIDDEN_GOLD",
    help="The gold is secret: it must lie outside the repository, and no gold text or "
    "annotation may appear in any output or message (also $TALLY_HIDDEN_GOLD=1).")
TextDirOpt = typer.Option(None, "--text-dir", help="Folder with gold source texts (hydration).")
RegimeOpt = typer.Option("exact", "--regime", help="Span matching regime: exact, overlap, "
                         "token_f1.")
BootstrapOpt = typer.Option(1000, "--bootstrap", min=0, help="Bootstrap resamples for CIs.")
SeedOpt = typer.Option(0, "--seed", help="Bootstrap seed.")


@app.command("build")
@guard
def build_cmd(
    submissions: Path = typer.Argument(..., help="Folder holding one folder per submission."),
    gold: list[Path] = GoldOpt,
    out: Path = typer.Option(..., "--out", help="Output folder (LEADERBOARD.md, "
                             "leaderboard.json, index.html, results/)."),
    hidden_gold: bool = HiddenOpt,
    text_dir: list[Path] = TextDirOpt,
    regime: str = RegimeOpt,
    bootstrap: int = BootstrapOpt,
    seed: int = SeedOpt,
    skip_invalid: bool = typer.Option(False, "--skip-invalid", help="Leave out invalid "
                                      "submissions (listed on the board) instead of failing."),
) -> None:
    """Score every submission against the gold and write the board (fails on any invalid one)."""
    from tally.eval.leaderboard import build

    res = build(submissions, gold, out, hidden_gold=hidden_gold,
                text_dirs=list(text_dir or []) + default_text_dirs(), regime=regime,
                bootstrap=bootstrap, seed=seed, skip_invalid=skip_invalid)
    print_problems(res.problems)
    n = sum(len(s["rows"]) for s in res.board["splits"].values())
    console.print(f"leaderboard: {n} row(s) in {', '.join(res.board['splits'])} written to {out}")


@app.command("check")
@guard
def check_cmd(
    submission: Path = typer.Argument(..., help="One submission folder."),
    gold: list[Path] = GoldOpt,
    hidden_gold: bool = HiddenOpt,
    text_dir: list[Path] = TextDirOpt,
    regime: str = RegimeOpt,
    bootstrap: int = BootstrapOpt,
    seed: int = SeedOpt,
    json_out: Path | None = typer.Option(None, "--json", help="Write the rows as JSON here."),
    markdown: bool = typer.Option(False, "--markdown", help="Print a Markdown table instead "
                                  "(for a CI job summary)."),
    show_scores: str | None = typer.Option(
        None, "--show-scores", help="Comma-separated splits whose scores are shown (default: "
        "all). Every split is still validated and scored; the others print as withheld. The "
        "pull-request check shows dev only, so pushing again and again cannot probe the test "
        "gold."),
) -> None:
    """Validate and score one submission (what a pull request's check runs). Exit 1 if invalid."""
    from tally.eval.leaderboard import validate_submission
    from tally.eval.leaderboard_columns import COLUMNS
    from tally.eval.leaderboard_md import fmt_score, md_text

    rows, warnings = validate_submission(submission, gold, hidden_gold=hidden_gold,
                                         text_dirs=list(text_dir or []) + default_text_dirs(),
                                         regime=regime, bootstrap=bootstrap, seed=seed)
    print_problems(warnings)
    title = f"{rows[0]['system'] if rows else submission.name}: valid"
    if show_scores is not None:
        shown = {x.strip() for x in show_scores.split(",") if x.strip()}
        rows = [r if r["split"] in shown else _withheld(r) for r in rows]
    if markdown:
        typer.echo(f"**{md_text(title)}**\n")
        typer.echo("| split | " + " | ".join(c.label for c in COLUMNS) + " |")
        typer.echo("|---|" + "---:|" * len(COLUMNS))
        for r in rows:
            typer.echo(f"| {_split_label(r)} | "
                       + " | ".join(fmt_score(r["metrics"].get(c.key)) for c in COLUMNS) + " |")
    else:
        _print_table(title, rows)
    if json_out is not None:
        json_out.write_bytes(orjson.dumps(rows, option=orjson.OPT_INDENT_2) + b"\n")
        err_console.print(f"rows written to {json_out}")


def _withheld(row: dict) -> dict:
    """A row whose scores are not shown: its metrics emptied (printed as "-")."""
    return {**row, "metrics": {}, "withheld": True}


def _split_label(row: dict) -> str:
    return f"{row['split']} (valid; scores withheld)" if row.get("withheld") else row["split"]


def _print_table(title: str, rows: list[dict]) -> None:
    from tally.eval.leaderboard_columns import COLUMNS
    from tally.eval.leaderboard_md import fmt_score

    table = Table(title=title)
    table.add_column("split")
    for c in COLUMNS:
        table.add_column(c.label, justify="right")
    for r in rows:
        table.add_row(_split_label(r), *(fmt_score(r["metrics"].get(c.key)) for c in COLUMNS))
    console.print(table)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="leaderboard")
