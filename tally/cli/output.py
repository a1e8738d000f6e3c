"""Shared CLI output: problems as a rich list or JSON, and the exit-code convention."""

from __future__ import annotations

import json
import sys
from collections import Counter

import typer
from rich.console import Console
from rich.markup import escape

from tally.schema.diagnostics import Problem, TallyError

console = Console()
err_console = Console(stderr=True, highlight=False)


def print_problems(problems: list[Problem], fmt: str = "text", limit: int = 200) -> None:
    if fmt == "json":
        json.dump([p.to_dict() for p in problems], sys.stdout, indent=1, ensure_ascii=False)
        sys.stdout.write("\n")
        return
    for p in problems[:limit]:
        style = "red" if p.severity == "error" else "yellow"
        body = escape(str(p).replace(f" {p.severity}: ", " ", 1))
        err_console.print(f"[{style}]{p.severity}[/{style}] {body}", soft_wrap=True)
    if len(problems) > limit:
        err_console.print(f"... and {len(problems) - limit} more (use --format json for all)")
    counts = Counter(p.severity for p in problems)
    if problems:
        err_console.print(f"{counts['error']} error(s), {counts['warning']} warning(s)")


def fail(problems: list[Problem] | str, fmt: str = "text") -> None:
    """Report and exit 1."""
    if isinstance(problems, str):
        problems = TallyError(problems).problems
    print_problems(problems, fmt)
    raise typer.Exit(1)


def guard(fn):
    """Decorator: a TallyError raised inside a command becomes a clean message and exit 1."""
    import functools

    @functools.wraps(fn)
    def wrapper(*a, **kw):
        try:
            return fn(*a, **kw)
        except TallyError as exc:
            fail(exc.problems)

    return wrapper
