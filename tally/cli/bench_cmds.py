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
        data: Path | None = typer.Option(None, "--data",
                                         help="Folder with train/dev/test.jsonl (default: the "
                                              "bundled corpus)."),
        bootstrap: int = typer.Option(1000, "--bootstrap", help="Bootstrap resamples for CIs."),
        systems: str = typer.Option("rules,linear,crf", "--systems",
                                    help="Comma-separated baselines to run."),
        force: bool = typer.Option(False, "--force", help="Reuse --out even if not empty."),
        learning_curve: bool = typer.Option(
            False, "--learning-curve",
            help="Also retrain every system on 10/25/50/100% of train (whole stories) and plot "
                 "tally and trigger F1 to OUT/learning_curve.png."),
        results: Path | None = typer.Option(
            None, "--results",
            help="Write the generated results page here (e.g. baselines/RESULTS.md, with "
                 "learning_curve.png beside it); implies --learning-curve."),
        speed: Path = typer.Option(
            Path("benchmarks/results/bench_baselines.json"), "--speed",
            help="Speed benchmark output to include in --results, if the file exists."),
    ) -> None:
        """Train every baseline on the bundled train split, score dev and test with CIs, add
        the unseen-conflict subset and human agreement, per-type scores and the top errors of
        the best system, print and write the leaderboard (and, with --results, the results
        page with its learning curve)."""
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

            result = run_bench(out, data_dir=data, systems=names, seed=seed, bootstrap=bootstrap,
                               curve=learning_curve or results is not None, on_progress=tick)
        _print_tables(result, names)
        if result.best:
            console.print(f"best on dev: {result.best}; its most frequent errors on test:")
            for e in result.errors:
                console.print(f"  {e['count']:5d}  {e['kind']}")
        if results is not None:
            import json

            from tally.baselines.bench import write_results

            cmd = (f"tally bench --out {out} --seed {seed} --bootstrap {bootstrap} "
                   + (f"--data {data} " if data else "")
                   + f"--systems {','.join(names)} --results {results}")
            timing = json.loads(speed.read_text(encoding="utf-8")) if speed.exists() else None
            write_results(result, results, names, command=cmd, speed=timing)
            console.print(f"wrote {results}")
        console.print(f"wrote {out / 'BENCH.md'}, {out / 'bench.json'} and the board in "
                      f"{out / 'board'} (LEADERBOARD.md, leaderboard.json, index.html)")
