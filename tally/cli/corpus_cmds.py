"""`tally corpus build`: compile data/authoring into the split files (by story cluster)."""

from __future__ import annotations

from pathlib import Path

import typer

from tally.cli.output import console, guard

corpus_app = typer.Typer(help="Build and check the bundled corpus.", no_args_is_help=True)


@corpus_app.command("build")
@guard
def build(
    data_dir: Path = typer.Option(None, "--data-dir", help="Corpus folder (default: bundled)."),
    check: bool = typer.Option(False, "--check", help="Only check the split files are current."),
) -> None:
    """Compile data/authoring/**.tly into train/dev/test.jsonl, keeping story clusters together."""
    from tally.data.corpus import DATA_DIR, build_corpus

    by_split = build_corpus(data_dir or DATA_DIR, check=check)
    sizes = ", ".join(f"{sp} {len(d)}" for sp, d in by_split.items())
    console.print(f"{'up to date' if check else 'built'}: {sizes}")


def register(app: typer.Typer) -> None:
    app.add_typer(corpus_app, name="corpus")
