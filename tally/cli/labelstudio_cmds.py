"""`tally labelstudio config|tasks|import|push|pull|agreement`: thin wrappers over
tally.schema.labelstudio."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from tally.cli.output import console, err_console, fail, guard, print_problems
from tally.schema.diagnostics import TallyError

UrlOpt = typer.Option(None, "--url", envvar="LABEL_STUDIO_URL",
                      help="Label Studio URL (also $LABEL_STUDIO_URL).")
TokenOpt = typer.Option(None, "--token", envvar="LABEL_STUDIO_API_KEY",
                        help="Legacy API token (also $LABEL_STUDIO_API_KEY).")


def _write(path: Path | None, text: str, force: bool) -> None:
    if path is None:
        typer.echo(text, nl=False)
        return
    if path.exists() and not force:
        raise TallyError(f"{path} exists (use --force to replace it)")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    err_console.print(f"wrote {path}")


def _load_sets(export: Path, predictions: bool):
    from tally.schema.labelstudio.importing import import_export, read_export

    return import_export(read_export(export), str(export), predictions=predictions)


def register(app: typer.Typer) -> None:
    ls = typer.Typer(help="Label Studio: labeling config, tasks, import, push, pull, agreement.",
                     no_args_is_help=True)
    app.add_typer(ls, name="labelstudio")

    @ls.command("config")
    @guard
    def config(out: Path | None = typer.Option(None, "--out", "-o", help="File to write."),
               force: bool = typer.Option(False, "--force", help="Replace --out.")) -> None:
        """The labeling config (XML), generated from the ontology."""
        from tally.schema.labelstudio.config import label_config

        _write(out, label_config(), force)

    @ls.command("tasks")
    @guard
    def tasks(
        paths: list[Path] = typer.Argument(..., help="Plain text articles (.txt, first line the "
                                           "headline) or canonical JSONL, or folders of them."),
        out: Path | None = typer.Option(None, "--out", "-o", help="Task JSON to write."),
        model: Path | None = typer.Option(None, "--model", help="Trained baseline folder "
                                          "(`tally train`) for pre-annotations."),
        keep_annotations: bool = typer.Option(False, "--keep-annotations", help="Add the JSONL "
                                              "documents' own annotations as a prediction."),
        date: str = typer.Option("", "--date", help="Dateline date for .txt files (default "
                                 "today)."),
        place: str | None = typer.Option(None, "--place", help="Dateline place for .txt files."),
        genre: str = typer.Option("wire", "--genre", help="Genre for .txt files."),
        country: str = typer.Option("unknown", "--country", help="Country for .txt files."),
        conflict: str = typer.Option("unknown", "--conflict", help="Conflict for .txt files."),
        license: str = typer.Option("unknown", "--license", help="Licence for .txt files."),
        force: bool = typer.Option(False, "--force", help="Replace --out."),
    ) -> None:
        """Label Studio tasks from articles, optionally pre-annotated by a baseline."""
        from tally.schema.labelstudio.tasks import (
            TextMeta,
            build_tasks,
            load_articles,
            model_predictions,
        )

        docs = load_articles(paths, TextMeta(date=date, genre=genre, country=country,
                                             conflict=conflict, license=license, place=place))
        preds, version, score = None, "", None
        if model is not None:
            preds, version, score = model_predictions(model, docs)
        result = build_tasks(docs, predictions=preds, model_version=version, score=score,
                             keep_annotations=keep_annotations)
        _write(out, json.dumps(result, ensure_ascii=False, indent=1) + "\n", force)
        err_console.print(f"{len(result)} task(s)" + (f", predictions from {version}"
                                                      if model else ""))

    @ls.command("import")
    @guard
    def import_(
        export: Path = typer.Argument(..., help="Label Studio JSON export (or `pull` output)."),
        out: Path = typer.Option(..., "--out", "-o", help="Folder for one JSONL per annotator."),
        predictions: bool = typer.Option(False, "--predictions", help="Also write the "
                                         "predictions, one JSONL per model version."),
        force: bool = typer.Option(False, "--force", help="Replace existing files."),
        fmt: str = typer.Option("text", "--format", help="Problems as text or json."),
    ) -> None:
        """Convert an export to canonical JSONL (validated), one file per annotator."""
        from tally.schema.jsonl import write_jsonl

        sets = _load_sets(export, predictions)
        if sets.errors:
            fail(sets.problems, fmt)
        print_problems(sets.problems, fmt)
        for who, docs in sorted(sets.sets.items()):
            path = out / f"{who}.jsonl"
            try:
                write_jsonl(path, docs, overwrite=force)
            except FileExistsError:
                fail(f"{path} exists (use --force to replace it)")
            err_console.print(f"{path}: {len(docs)} document(s)")
        if not sets.sets:
            err_console.print("no annotations in the export")

    @ls.command("push")
    @guard
    def push(
        tasks_file: Path = typer.Argument(..., help="Task JSON from `tally labelstudio tasks`."),
        url: str | None = UrlOpt,
        token: str | None = TokenOpt,
        title: str = typer.Option("Tally annotation", "--title", help="New project's title."),
        project: int | None = typer.Option(None, "--project", help="Add to this project "
                                           "instead of creating one."),
        guidelines_url: str | None = typer.Option(None, "--guidelines-url", help="Link to the "
                                                  "guidelines shown in the project."),
    ) -> None:
        """Create a project with the generated config and import the tasks and predictions."""
        from tally.schema.labelstudio import client
        from tally.schema.labelstudio.config import (
            instructions_html,
            label_config,
            project_description,
        )

        try:
            tasks = json.loads(tasks_file.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise TallyError(f"{tasks_file}: cannot read the task JSON: {exc}") from None
        conn = client.connect(url, token)
        pid, n = client.push(conn, tasks, config=label_config(), title=title,
                             description=project_description(guidelines_url=guidelines_url),
                             instructions=instructions_html(guidelines_url=guidelines_url),
                             project_id=project)
        console.print(f"project {pid}: {n} task(s) imported ({conn.url}/projects/{pid})")

    @ls.command("pull")
    @guard
    def pull(
        project: int = typer.Argument(..., help="Project id."),
        out: Path = typer.Option(..., "--out", "-o", help="Export JSON to write."),
        url: str | None = UrlOpt,
        token: str | None = TokenOpt,
        force: bool = typer.Option(False, "--force", help="Replace --out."),
    ) -> None:
        """Download tasks, annotations and whole predictions (input for `import`)."""
        from tally.schema.labelstudio import client

        conn = client.connect(url, token)
        tasks = client.pull(conn, project)
        _write(out, json.dumps(tasks, ensure_ascii=False, indent=1) + "\n", force)
        n = sum(len(t["annotations"]) for t in tasks)
        err_console.print(f"{len(tasks)} task(s), {n} annotation(s)")

    @ls.command("agreement")
    @guard
    def agreement(
        export: Path = typer.Argument(..., help="Label Studio JSON export (or `pull` output)."),
        bootstrap: int = typer.Option(1000, "--bootstrap", help="Bootstrap samples for CIs."),
        seed: int = typer.Option(0, "--seed"),
        out: Path | None = typer.Option(None, "--out", "-o", help="Markdown file to write."),
        force: bool = typer.Option(False, "--force", help="Replace --out."),
    ) -> None:
        """Agreement between annotators of the same tasks, per layer (Tally scorer)."""
        from tally.schema.labelstudio.agreement import agreement_markdown

        sets = _load_sets(export, False)
        if sets.errors:
            fail(sets.problems)
        print_problems(sets.problems)
        md = agreement_markdown(sets, bootstrap=bootstrap, seed=seed)
        if not md:
            raise TallyError("no task has annotations by two annotators")
        _write(out, md + "\n", force)
