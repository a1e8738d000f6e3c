"""Data commands: validate, stats, compile, decompile, hydrate."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from tally.cli.output import console, fail, print_problems
from tally.schema.authoring import compile_file, decompile
from tally.schema.diagnostics import Problem
from tally.schema.hydrate import default_text_dirs
from tally.schema.jsonl import write_jsonl
from tally.schema.validate import validate_paths

TextDirOpt = typer.Option(
    None, "--text-dir", help="Folder with source texts for documents stored without text "
    "(also $TALLY_TEXT_DIR).")
FormatOpt = typer.Option("text", "--format", help="Output format: text or json.")


def _text_dirs(opt: list[Path] | None) -> list[Path]:
    return list(opt or []) + default_text_dirs()


def _check_format(fmt: str) -> None:
    if fmt not in ("text", "json"):
        fail(f"--format {fmt!r}: expected text or json")


def validate(
    paths: list[Path] = typer.Argument(..., help="JSONL files or folders (searched recursively)."),
    text_dir: list[Path] = TextDirOpt,
    fmt: str = FormatOpt,
) -> None:
    """Check documents against the format, the ontology and every annotation rule.

    Exit 0 when there is no error (warnings allowed), 1 otherwise."""
    _check_format(fmt)
    docs, problems = validate_paths(paths, _text_dirs(text_dir))
    errors = [p for p in problems if p.severity == "error"]
    print_problems(problems, fmt)
    if fmt == "text":
        status = "[red]invalid[/red]" if errors else "[green]valid[/green]"
        console.print(f"{len(docs)} document(s) checked: {status}")
    raise typer.Exit(1 if errors else 0)


def stats(
    paths: list[Path] = typer.Argument(..., help="JSONL files or folders."),
    text_dir: list[Path] = TextDirOpt,
    fmt: str = FormatOpt,
) -> None:
    """Counts by split, event type, role, qualifier, kind, genre, country and more."""
    from tally.data.stats import corpus_stats

    _check_format(fmt)
    docs, problems = validate_paths(paths, _text_dirs(text_dir))
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        fail(errors)
    st = corpus_stats([(f, d) for f, _, d in docs])
    if fmt == "json":
        console.print_json(json.dumps(st))
        return
    tot = Table(title="Tally corpus totals")
    tot.add_column("figure")
    tot.add_column("count", justify="right")
    for k, v in st["totals"].items():
        tot.add_row(k, str(v))
    if "length_words" in st:
        lw = st["length_words"]
        tot.add_row("length (words) min/mean/max", f"{lw['min']}/{lw['mean']}/{lw['max']}")
    console.print(tot)
    for key, val in st.items():
        if key in ("totals", "length_words") or not isinstance(val, dict):
            continue
        t = Table(title=key.replace("_", " "))
        t.add_column(key)
        t.add_column("count", justify="right")
        for k, v in val.items():
            t.add_row(str(k), str(v))
        console.print(t)


def compile_(
    paths: list[Path] = typer.Argument(..., help=".tly files or folders of them."),
    out: Path = typer.Option(..., "--out", "-o", help="Canonical JSONL to write."),
    force: bool = typer.Option(False, "--force", help="Replace --out if it exists."),
) -> None:
    """Compile authoring-format (.tly) files into one canonical JSONL file.

    Nothing is written when any file has an error."""
    files: list[Path] = []
    problems: list[Problem] = []
    for p in paths:
        if p.is_dir():
            files.extend(sorted(p.rglob("*.tly")))
        elif p.exists():
            files.append(p)
        else:
            problems.append(Problem(str(p), None, None, "-", "no such file or folder"))
    docs = []
    for f in files:
        doc, probs = compile_file(f)
        problems.extend(probs)
        if doc is not None:
            docs.append(doc)
    if problems:
        fail(problems)
    if out.exists() and not force:
        fail(f"{out} exists: pass --force to replace it")
    write_jsonl(out, docs, overwrite=True)
    console.print(f"compiled {len(docs)} document(s) into {out}")


def decompile_(
    path: Path = typer.Argument(..., help="Canonical JSONL file."),
    out: Path = typer.Option(..., "--out", "-o", help="Folder for the .tly files."),
    text_dir: list[Path] = TextDirOpt,
) -> None:
    """Turn canonical JSONL back into .tly files, one per document (never overwrites)."""
    from tally.schema.diagnostics import TallyError

    docs, problems = validate_paths([path], _text_dirs(text_dir))
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        fail(errors)
    targets = [(out / f"{d.id}.tly", d) for _, _, d in docs]
    clash = [str(t) for t, _ in targets if t.exists()]
    if clash:
        fail(f"refusing to overwrite existing files: {', '.join(clash[:5])}")
    rendered = []
    for t, d in targets:
        if d.text is None:
            fail(f"{path}: document {d.id} is not hydrated: pass --text-dir with its source text")
        try:
            rendered.append((t, decompile(d)))
        except TallyError as exc:
            fail(exc.problems)
    out.mkdir(parents=True, exist_ok=True)
    for t, s in rendered:
        t.write_text(s, encoding="utf-8")
    console.print(f"wrote {len(rendered)} .tly file(s) to {out}")


def hydrate(
    paths: list[Path] = typer.Argument(..., help="JSONL files or folders with documents."),
    from_: list[Path] = typer.Option(..., "--from", help="Folder with the source texts."),
    out: Path = typer.Option(..., "--out", "-o", help="Hydrated JSONL to write (never in place)."),
    force: bool = typer.Option(False, "--force", help="Replace --out if it exists."),
) -> None:
    """Fill in the text of documents stored without it, refusing copies whose hash differs."""
    docs, problems = validate_paths(paths, from_)
    errors = [p for p in problems if p.severity == "error"]
    missing = [d.id for _, _, d in docs if d.text is None]
    if missing:
        errors.append(Problem(str(paths[0]), None, ", ".join(missing), "text",
                              "could not be hydrated (see above)", "the source file in --from"))
    if errors:
        fail(problems)
    if out.exists() and not force:
        fail(f"{out} exists: pass --force to replace it")
    write_jsonl(out, [d for _, _, d in docs], overwrite=True)
    console.print(f"hydrated {len(docs)} document(s) into {out}")


def jsonschema_(
    out: Path = typer.Option(Path("schema"), "--out", "-o", help="Folder for the schema files."),
) -> None:
    """Write the JSON Schemas generated from the data model (document and prediction)."""
    from tally.schema.jsonschema import SCHEMAS, generate

    out.mkdir(parents=True, exist_ok=True)
    for name in SCHEMAS:
        (out / name).write_text(generate(name), encoding="utf-8")
        console.print(f"wrote {out / name}")


def register(app: typer.Typer) -> None:
    app.command("jsonschema")(jsonschema_)
    app.command("validate")(validate)
    app.command("stats")(stats)
    app.command("compile")(compile_)
    app.command("decompile")(decompile_)
    app.command("hydrate")(hydrate)
