"""`tally export --to conll|textee|brat`: thin wrapper over tally.schema.exports."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from tally.cli.output import err_console, fail, guard
from tally.schema.diagnostics import Problem, TallyError


def register(app: typer.Typer) -> None:
    @app.command("export")
    @guard
    def export(
        paths: list[Path] = typer.Argument(..., help="Canonical JSONL files or folders."),
        to: str = typer.Option(..., "--to", help="conll, textee or brat."),
        out: Path = typer.Option(..., "--out", "-o", help="File (conll, textee) or folder "
                                 "(brat) to write."),
        window: str = typer.Option("document", "--window", help="textee instances: document "
                                   "or sentence."),
        text_dir: list[Path] = typer.Option(None, "--text-dir", help="Folder with source "
                                            "texts for documents stored without text."),
        force: bool = typer.Option(False, "--force", help="Replace --out."),
    ) -> None:
        """Export documents for other toolkits (see the README for what each format keeps)."""
        from tally.schema.exports import FORMATS, to_conll, to_textee, write_brat
        from tally.schema.hydrate import default_text_dirs
        from tally.schema.validate import validate_paths

        if to not in FORMATS:
            fail(f"--to {to!r}: expected one of {', '.join(FORMATS)}")
        if window not in ("document", "sentence"):
            fail(f"--window {window!r}: expected document or sentence")
        if out.exists() and not force and (out.is_file() or any(out.iterdir())):
            raise TallyError(f"{out} exists (use --force to replace it)")
        found, problems = validate_paths(paths, list(text_dir or []) + default_text_dirs())
        errors = [p for p in problems if p.severity == "error"]
        errors += [Problem(f, ln, d.id, "text", "document has no text",
                           "hydrated documents (--text-dir)") for f, ln, d in found
                   if d.text is None]
        if errors:
            fail(errors)
        docs = [d for _, _, d in found]
        if to == "conll":
            text, stats = to_conll(docs)
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(text, encoding="utf-8")
        elif to == "textee":
            rows, stats = to_textee(docs, window)
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                           encoding="utf-8")
        else:
            stats = None
            write_brat(docs, out)
        err_console.print(f"{len(docs)} document(s) -> {out} ({to})")
        if stats is not None and (stats.widened or stats.dropped):
            err_console.print(f"{stats.widened} span(s) widened to token boundaries, "
                              f"{stats.dropped} dropped")
            for note in stats.notes[:20]:
                err_console.print(f"  {note}")
