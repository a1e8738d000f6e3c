"""The `tally` command line. Thin: every command calls the library and turns `TallyError`
into a clean message with a non-zero exit code (never a traceback for a user's mistake)."""

from __future__ import annotations

import typer

from tally import __version__
from tally.cli import (
    baseline_cmds,
    bench_cmds,
    corpus_cmds,
    data_cmds,
    eval_cmds,
    export_cmds,
    labelstudio_cmds,
    leaderboard_cmds,
)

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


# Each module imports its library lazily, inside the command, so `tally --help` stays fast and
# optional extras (label-studio-sdk) are needed only by the commands that use them.
for _group in (data_cmds, corpus_cmds, eval_cmds, baseline_cmds, bench_cmds, leaderboard_cmds,
               labelstudio_cmds, export_cmds):
    _group.register(app)


def main() -> None:
    app()
