"""`tally train NAME` and `tally predict NAME`: thin wrappers over tally.baselines."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from tally.cli.output import console, err_console, guard
from tally.schema.diagnostics import TallyError


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=err_console, transient=False)


def _dev_scores(model, dev_file: Path | None) -> dict:
    """Headline dev figures for the manifest (empty when no dev file is given)."""
    if dev_file is None:
        return {}
    from tally.baselines import load_documents, predict
    from tally.eval import evaluate

    dev = load_documents(dev_file)
    report = evaluate(dev, predict(model, dev), bootstrap=0).to_json()
    out = {"file": str(dev_file), "documents": len(dev), "scorer_version":
           report.get("scorer_version")}
    for name, m in report["metrics"].items():
        for key in ("f1", "accuracy"):
            if isinstance(m, dict) and m.get(key) is not None:
                out[name] = round(m[key], 4)
                break
    return out


def register(app: typer.Typer) -> None:
    @app.command("train")
    @guard
    def train(
        name: str = typer.Argument(..., help="Baseline to train: rules, linear or crf."),
        train_file: Path = typer.Option(..., "--train", help="Gold JSONL (hydrated) to train on."),
        out: Path = typer.Option(..., "--out", "-o", help="Model folder to write."),
        dev: Path | None = typer.Option(None, "--dev", help="Gold JSONL scored into the manifest."),
        seed: int = typer.Option(0, "--seed", help="Random seed (same seed, same model)."),
        force: bool = typer.Option(False, "--force", help="Replace --out if it is not empty."),
    ) -> None:
        """Train a baseline on gold documents and save it (manifest + skops, never pickle)."""
        from tally.baselines import (
            documents_hash,
            get_system,
            load_documents,
            save_model,
            train_system,
        )

        get_system(name)
        if out.exists() and any(out.iterdir()) and not force:
            raise TallyError(f"{out} exists and is not empty (use --force to replace it)")
        docs = load_documents(train_file)
        with _progress() as bar:
            task = bar.add_task(f"training {name}", total=len(docs))
            model = train_system(name, docs, seed=seed, progress=lambda: bar.advance(task))
            bar.update(task, completed=len(docs))
        scores = _dev_scores(model, dev)
        save_model(model, out, train_hash=documents_hash(docs), n_train=len(docs), seed=seed,
                   dev_scores=scores, overwrite=force)
        console.print(f"trained {name} on {len(docs)} document(s) -> {out}")
        if scores:
            console.print({k: v for k, v in scores.items() if k.startswith(("tally", "trig"))})

    @app.command("predict")
    @guard
    def predict_cmd(
        name: str = typer.Argument(..., help="Baseline the model folder holds."),
        model_dir: Path = typer.Option(..., "--model", help="Folder written by `tally train`."),
        input_file: Path = typer.Option(..., "--input", "-i", help="Documents (JSONL) to label."),
        out: Path = typer.Option(..., "--out", "-o", help="Prediction JSONL to write."),
        force: bool = typer.Option(False, "--force", help="Replace --out if it exists."),
        jobs: int = typer.Option(
            1, "--jobs", "-j", min=0,
            help="Worker processes (forked, Linux; 0 = one per usable CPU). The output is "
                 "identical for any value; each worker adds the memory it writes to."),
    ) -> None:
        """Predict every layer for each document; writes canonical Prediction JSONL."""
        from tally.baselines import get_system, load_documents, load_model, predict, read_manifest
        from tally.baselines.parallel import usable_cpus
        from tally.schema.jsonl import write_jsonl

        get_system(name)
        manifest = read_manifest(model_dir)
        if manifest["system"] != name:
            raise TallyError(f"{model_dir} holds a {manifest['system']!r} model, not {name!r}")
        if out.exists() and not force:
            raise TallyError(f"{out} exists (use --force to replace it)")
        model = load_model(model_dir)
        docs = load_documents(input_file)
        with _progress() as bar:
            task = bar.add_task(f"predicting with {name}", total=len(docs))
            preds = predict(model, docs, progress=lambda n: bar.advance(task, n),
                            jobs=jobs or usable_cpus())
        write_jsonl(out, preds, overwrite=force)
        console.print(f"wrote {len(preds)} prediction(s) -> {out}")
