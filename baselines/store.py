"""Saving and loading trained baselines: a folder with `manifest.json`, `state.json` (lexicons,
vocabularies, settings), `estimators.skops` (scikit-learn estimators) and `*.crfsuite` (CRF
weights). Nothing is pickled: skops loads only the allow-listed scikit-learn/numpy types and
refuses anything else, so a model folder from a stranger cannot run code when loaded."""

from __future__ import annotations

import json
import platform
from pathlib import Path

import sklearn
import skops.io as sio

from tally.schema.diagnostics import Problem, TallyError

from .registry import get_system

MANIFEST = "manifest.json"
FORMAT = "tally-baseline/1"
# The only types a model file may contain (skops refuses all others before building objects).
TRUSTED_TYPES = frozenset({
    "sklearn.linear_model._logistic.LogisticRegression",
    "sklearn.linear_model._stochastic_gradient.SGDClassifier",
    "sklearn.linear_model._sgd_fast.Hinge",
    "sklearn.linear_model._sgd_fast.ModifiedHuber",
    "sklearn.linear_model._sgd_fast.Log",
    "sklearn._loss.link.Interval",
    "numpy.dtype",
    "numpy.ndarray",
    "numpy.float64",
    "numpy.int64",
    "builtins.dict",
    "builtins.list",
    "builtins.str",
    "builtins.tuple",
})


def save_model(model, out_dir: Path | str, *, train_hash: str, n_train: int, seed: int,
               dev_scores: dict | None = None, overwrite: bool = False) -> Path:
    out = Path(out_dir)
    if out.exists() and any(out.iterdir()) and not overwrite:
        raise TallyError(f"{out} exists and is not empty (use --force to replace it)")
    out.mkdir(parents=True, exist_ok=True)
    state = model.state()
    estimators = model.estimators() if hasattr(model, "estimators") else {}
    blobs = model.blobs() if hasattr(model, "blobs") else {}
    (out / "state.json").write_text(json.dumps(state, sort_keys=True), encoding="utf-8")
    if estimators:
        sio.dump(estimators, out / "estimators.skops")
    for name, data in blobs.items():
        (out / f"{name}.crfsuite").write_bytes(data)
    manifest = {
        "format": FORMAT, "system": model.name, "system_version": model.version,
        "training_data_sha256": train_hash, "training_documents": n_train, "seed": seed,
        "features": state.get("features", "rules: trigger lexicon, number detector, patterns"),
        "dev_scores": dev_scores or {}, "files": sorted(p.name for p in out.iterdir()) + [MANIFEST],
        "python": platform.python_version(), "scikit_learn": sklearn.__version__,
    }
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True), encoding="utf-8")
    return out


def read_manifest(model_dir: Path | str) -> dict:
    path = Path(model_dir) / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise TallyError([Problem(str(path), None, None, "manifest", f"cannot read: {exc}",
                                  "a folder written by `tally train`")]) from None
    if manifest.get("format") != FORMAT:
        raise TallyError([Problem(str(path), None, None, "format",
                                  f"found {manifest.get('format')!r}", FORMAT)])
    return manifest


def load_model(model_dir: Path | str):
    """Load a saved baseline; refuses files holding any type outside TRUSTED_TYPES."""
    d = Path(model_dir)
    manifest = read_manifest(d)
    cls = get_system(manifest["system"])
    if str(manifest.get("system_version")) != str(cls.version):
        raise TallyError([Problem(str(d / MANIFEST), None, None, "system_version",
                                  f"model of {manifest['system']} version "
                                  f"{manifest.get('system_version')!r}; this code predicts with "
                                  f"version {cls.version!r}", "a model retrained with "
                                  f"`tally train {manifest['system']}`")])
    state = json.loads((d / "state.json").read_text(encoding="utf-8"))
    estimators = {}
    skops_file = d / "estimators.skops"
    if skops_file.exists():
        untrusted = [t for t in sio.get_untrusted_types(file=skops_file) if t not in TRUSTED_TYPES]
        if untrusted:
            raise TallyError([Problem(str(skops_file), None, None, "types",
                                      f"refusing to load untrusted types {untrusted}",
                                      "only scikit-learn linear models and numpy arrays")])
        estimators = sio.load(skops_file, trusted=sorted(TRUSTED_TYPES))
    blobs = {p.stem: p.read_bytes() for p in d.glob("*.crfsuite")}
    return cls.from_state(state, estimators, blobs)
