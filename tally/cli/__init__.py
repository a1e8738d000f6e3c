"""The `tally` command line. Thin: every command calls the library and turns `TallyError`
into a clean message with a non-zero exit code (never a traceback for a user's mistake)."""

from __future__ import annotations

import typer

from tally import __version__
from tally.cli import corpus_cmds, data_cmds

app = typer.Typer(
    name="tally",
    help="Tally: event and number extraction from conflict news (data, scorer, baselines).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"tally {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    """Tally command line."""


data_cmds.register(app)
corpus_cmds.register(app)


def _register_optional() -> None:
    # Command groups of later components register themselves when present.
    import importlib

    for mod in ("tally.cli.eval_cmds", "tally.cli.baseline_cmds", "tally.cli.labelstudio_cmds",
                "tally.cli.export_cmds", "tally.cli.bench_cmds", "tally.cli.leaderboard_cmds"):
        try:
            m = importlib.import_module(mod)
        except ModuleNotFoundError as exc:
            if exc.name != mod:
                raise
            continue
        m.register(app)


_register_optional()


def main() -> None:
    app()
