"""`tally bench`: the main job (train all baselines, score them, print and write the board)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from tally.cli.output import console, err_console, guard
from tally.schema.diagnostics import TallyError


def _print_tables(result, systems) -> None:
    from tally.baselines.bench import TABLE_METRICS, _value

    titles = [("test", result.scores["test"], "Test split")]
    titles += [(k, v, k.replace("_", " ")) for k, v in result.subsets.items()]
    for _, reports, title in titles:
        t = Table(title=title)
        t.add_column("metric")
        for name in reports:
            t.add_column(name, justify="right")
        for metric in TABLE_METRICS:
            row = []
            for name in reports:
                m = reports[name]["metrics"][metric]
                v = _value(m)
                ci = (f" [{m['ci_low']:.3f}, {m['ci_high']:.3f}]"
                      if m.get("ci_low") is not None else "")
                row.append("n/a" if v is None else f"{v:.3f}{ci}")
            style = "bold" if metric == "tally_strict" else None
            t.add_row(metric, *row, style=style)
        console.print(t)


def register(app: typer.Typer) -> None:
    @app.command("bench")
    @guard
    def bench(
        out: Path = typer.Option(Path("bench-out"), "--out", "-o",
                                 help="Folder for models, predictions, the board and BENCH.md."),
        seed: int = typer.Option(0, "--seed", help="Random seed (same seed, same files)."),
        bootstrap: int = typer.Option(1000, "--bootstrap", help="Bootstrap resamples for CIs."),
        systems: str = typer.Option("rules,linear,crf", "--systems",
                                    help="Comma-separated baselines to run."),
        force: bool = typer.Option(False, "--force", help="Reuse --out even if not empty."),
    ) -> None:
        """Train every baseline on the bundled train split, score dev and test with CIs, add
        the unseen-conflict subset and human agreement, print and write the leaderboard."""
        from tally.baselines import get_system
        from tally.baselines.bench import run_bench

        names = tuple(s.strip() for s in systems.split(",") if s.strip())
        for n in names:
            get_system(n)
        if out.exists() and any(out.iterdir()) and not force:
            raise TallyError(f"{out} exists and is not empty: choose another --out or --force")
        with Progress(TextColumn("{task.description:<24}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), console=err_console) as bar:
            tasks: dict[str, int] = {}

            def tick(label: str, done: int, total: int) -> None:
                if label not in tasks:
                    tasks[label] = bar.add_task(label, total=total)
                bar.update(tasks[label], completed=done)

            result = run_bench(out, systems=names, seed=seed, bootstrap=bootstrap,
                               on_progress=tick)
        _print_tables(result, names)
        console.print(f"wrote {out / 'BENCH.md'}, {out / 'bench.json'} and the board in "
                      f"{out / 'board'} (LEADERBOARD.md, leaderboard.json, index.html)")
