"""Scorer commands: `tally eval` and `tally compare` (thin wrappers over tally.eval)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from tally.cli.output import console, fail, guard
from tally.schema.hydrate import default_text_dirs

GoldOpt = typer.Option(..., "--gold", help="Gold JSONL file(s) or folder(s), repeat for several; "
                       "or one gold index made by `tally gold-index`.")
TextDirOpt = typer.Option(None, "--text-dir", help="Folder with source texts for gold documents "
                          "stored without text (also $TALLY_TEXT_DIR).")
RegimeOpt = typer.Option("exact", "--regime", help="Span matching: exact, overlap or token_f1.")
BootOpt = typer.Option(1000, "--bootstrap", help="Bootstrap resamples for CIs (0: no CIs).")
SeedOpt = typer.Option(0, "--seed", help="Random seed of the bootstrap.")
CiOpt = typer.Option(0.95, "--ci", help="Confidence level of the intervals.")
DatasetOpt = typer.Option(None, "--dataset-version", help="Dataset version recorded in the report.")


def _dirs(opt: list[Path] | None) -> list[Path]:
    return list(opt or []) + default_text_dirs()


def _index_of(gold: list[Path]):
    """The loaded gold index when --gold names one (alone), else None."""
    from tally.eval.gold_index import is_gold_index, load_gold_index

    indexes = [g for g in gold if g.is_file() and is_gold_index(g)]
    if not indexes:
        return None
    if len(gold) > 1:
        fail(f"--gold {indexes[0]} is a gold index: give it alone, not with other gold files")
    return load_gold_index(indexes[0])


@guard
def gold_index_(
    gold: list[Path] = typer.Argument(..., help="Gold JSONL file(s) or folder(s)."),
    out: Path = typer.Option(..., "--out", "-o", help="The index file to write."),
    text_dir: list[Path] = TextDirOpt,
    dataset_version: str | None = DatasetOpt,
    force: bool = typer.Option(False, "--force", help="Replace an existing file."),
) -> None:
    """Validate a gold once and write it as a gold index, for fast scoring (`--gold INDEX`).

    The index holds the gold's annotations and texts: keep it where you keep the gold."""
    from tally.eval import load_gold
    from tally.eval.api import _dataset_version
    from tally.eval.gold_index import build_gold_index

    if out.exists() and not force:
        fail(f"{out} exists: give --force to replace it")
    if out.exists() and not out.is_file():
        fail(f"{out} is not a file")
    docs = load_gold(gold, _dirs(text_dir))
    build_gold_index(docs, out, _dataset_version(dataset_version))
    console.print(f"wrote {out}: {len(docs)} gold documents, gold sha256 {docs.sha256()[:16]}...")


def _emit(as_json: bool, markdown: bool, obj) -> bool:
    if as_json and markdown:
        fail("--json and --markdown are exclusive")
    if as_json:
        sys.stdout.write(json.dumps(obj.to_json(), indent=1, ensure_ascii=False) + "\n")
        return True
    if markdown:
        sys.stdout.write(obj.to_markdown())
        return True
    return False


@guard
def eval_(
    gold: list[Path] = GoldOpt,
    pred: Path = typer.Option(..., "--pred", help="Submission: predictions JSONL, one per line."),
    allow_missing: bool = typer.Option(False, "--allow-missing",
                                       help="Score gold documents absent from --pred as empty."),
    regime: str = RegimeOpt,
    text_dir: list[Path] = TextDirOpt,
    bootstrap: int = BootOpt,
    seed: int = SeedOpt,
    ci: float = CiOpt,
    errors: int = typer.Option(0, "--errors", help="List up to N false positives/negatives per "
                               "layer with their context."),
    breakdowns: bool = typer.Option(False, "--breakdowns",
                                    help="Also show per-type tables and the confusion matrix."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    markdown: bool = typer.Option(False, "--markdown", help="Print the report as Markdown."),
    dataset_version: str | None = DatasetOpt,
) -> None:
    """Score a submission against gold: every layer, the Tally F1, bootstrap CIs.

    Every problem of the submission is reported (file, line, document, field); exit 1."""
    from tally.eval import evaluate_file, evaluate_index, load_gold

    opts = {"allow_missing": allow_missing, "regime": regime, "bootstrap": bootstrap,
            "seed": seed, "ci": ci, "errors": errors, "dataset_version": dataset_version}
    index = _index_of(gold)
    if index is not None:
        report = evaluate_index(index, pred, **opts)
    else:
        report = evaluate_file(load_gold(gold, _dirs(text_dir)), pred, **opts)
    if _emit(as_json, markdown, report):
        return
    for t in report.rich_tables(breakdowns=breakdowns):
        console.print(t)
    missing = report.to_json()["documents"]["missing"]
    if missing:
        console.print(f"[yellow]{len(missing)} gold document(s) had no prediction and were "
                      f"scored as empty (--allow-missing)[/yellow]")


@guard
def compare_(
    pred_a: Path = typer.Argument(..., help="Predictions of system A (JSONL)."),
    pred_b: Path = typer.Argument(..., help="Predictions of system B (JSONL)."),
    gold: list[Path] = GoldOpt,
    allow_missing: bool = typer.Option(False, "--allow-missing",
                                       help="Score gold documents absent from a file as empty."),
    regime: str = RegimeOpt,
    text_dir: list[Path] = TextDirOpt,
    bootstrap: int = BootOpt,
    permutations: int = typer.Option(1000, "--permutations",
                                     help="Trials of the approximate randomization test."),
    seed: int = SeedOpt,
    ci: float = CiOpt,
    metric: list[str] = typer.Option(None, "--metric", help="Metric(s) to compare (default all)."),
    as_json: bool = typer.Option(False, "--json", help="Print the comparison as JSON."),
    markdown: bool = typer.Option(False, "--markdown", help="Print the comparison as Markdown."),
    dataset_version: str | None = DatasetOpt,
) -> None:
    """Compare two systems: paired bootstrap CI of the difference and randomization p-values."""
    from tally.eval import compare, load_gold, load_predictions
    from tally.schema.diagnostics import Problem, TallyError

    index = _index_of(gold)
    gold_docs = (index.documents() if index is not None else load_gold(gold, _dirs(text_dir)))
    gold_docs.prepare()  # both systems score against it
    problems: list[Problem] = []
    loaded = []
    for p in (pred_a, pred_b):
        if not p.is_file():
            problems.append(Problem(str(p), None, None, "-", "no such prediction file"))
            continue
        try:
            loaded.append(load_predictions(p, gold_docs, allow_missing=allow_missing))
        except TallyError as exc:
            problems.extend(exc.problems)
    if problems:
        raise TallyError(problems)
    cmp = compare(gold_docs, loaded[0], loaded[1], regime=regime, bootstrap=bootstrap,
                  permutations=permutations, seed=seed, ci=ci, metrics=metric or None,
                  names=(pred_a.stem, pred_b.stem), dataset_version=dataset_version)
    if _emit(as_json, markdown, cmp):
        return
    for t in cmp.rich_tables():
        console.print(t)


def register(app: typer.Typer) -> None:
    app.command("eval")(eval_)
    app.command("compare")(compare_)
    app.command("gold-index")(gold_index_)
