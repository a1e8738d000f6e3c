"""The wheel ships the ontology, schemas and data, and works installed (not editable)."""

from __future__ import annotations

import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from .conftest import ROOT, TEXT_DIR_ARGS


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(out),
         str(ROOT)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (whl,) = out.glob("tally_bench-*.whl")
    return whl


def test_wheel_contains_data_files(wheel: Path):
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in ("tally/schema/ontology.yaml", "tally/schema/document.schema.json",
                     "tally/schema/prediction.schema.json", "tally/schema/models.py",
                     "tally/data/seed/efe-myanmar-2023-11-17.jsonl", "tally/cli/__init__.py",
                     "tally/eval/__init__.py", "tally/baselines/__init__.py"):
        assert required in names, f"{required} missing from the wheel"
    for md in ("tally/schema/GUIDELINES.md", "tally/schema/FORMAT.md", "tally/data/README.md"):
        if (ROOT / md.replace("tally/", "", 1)).exists():
            assert md in names, f"{md} missing from the wheel"
    for folder in ("tally/data/authoring/", "tally/data/agreement/first-annotation/",
                   "tally/data/agreement/annotator-w/"):
        assert any(n.startswith(folder) and n.endswith(".tly") for n in names), folder
    assert not any("efe-myanmar-2023-11-17.txt" in n for n in names), "seed text must not ship"


def test_installed_wheel_validates_its_bundled_data(wheel: Path, tmp_path: Path):
    env_dir = tmp_path / "venv"
    # System site packages provide the dependencies; the wheel itself is installed without them.
    venv.EnvBuilder(system_site_packages=True, with_pip=True).create(env_dir)
    py = env_dir / "bin" / "python"
    proc = subprocess.run([str(py), "-m", "pip", "install", "--no-deps", "--no-index", str(wheel)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    code = ("import tally.schema as s, importlib.resources as r; "
            "print(len(s.load_ontology().event_types)); "
            "print(r.files('tally.data').joinpath('seed'))")
    proc = subprocess.run([str(py), "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    n_types, data_dir = proc.stdout.split()
    assert int(n_types) == 29
    assert str(env_dir) in data_dir, "imported the source tree instead of the wheel"
    proc = subprocess.run([str(py), "-m", "tally", "validate", data_dir, *TEXT_DIR_ARGS],
                          capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
