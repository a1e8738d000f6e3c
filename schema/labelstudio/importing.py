"""Reading a Label Studio JSON export (or `tally labelstudio pull` output) into annotation sets.

Each annotator's annotations become one set of canonical documents (one document per task),
so several annotators of the same task are kept apart for agreement. Every problem is
reported with task id, annotation id and region id; nothing is dropped silently.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from tally.schema.diagnostics import Problem, TallyError
from tally.schema.labelstudio.convert import META_KEY, Where, results_to_document
from tally.schema.models import Document
from tally.schema.validate import DocumentChecker


@dataclass
class AnnotationSets:
    """Documents per annotator (or per model version for predictions), and every problem."""

    sets: dict[str, list[Document]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


def read_export(path: Path) -> list[dict]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise TallyError([Problem(str(path), None, None, "-",
                                  f"cannot read: {exc.strerror}")]) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise TallyError([Problem(str(path), None, None, "-", f"not JSON: {exc}",
                                  "a Label Studio JSON export (a list of tasks)")]) from None
    if not isinstance(data, list) or not all(isinstance(t, dict) for t in data):
        raise TallyError([Problem(str(path), None, None, "-", "not a list of task objects",
                                  "a Label Studio JSON export (Export > JSON)")])
    return data


def annotator_name(completed_by: object) -> str:
    """A file-name-safe annotator name: the e-mail when the export has it, else user<id>."""
    if isinstance(completed_by, dict):
        name = completed_by.get("email") or f"user{completed_by.get('id')}"
    else:
        name = f"user{completed_by}"
    return re.sub(r"[^A-Za-z0-9@._-]", "_", str(name))


def import_export(tasks: list[dict], file: str, *, predictions: bool = False) -> AnnotationSets:
    """Annotation sets from exported tasks; with `predictions`, predictions become sets too
    (named `model-<model_version>`)."""
    out = AnnotationSets()
    checker = DocumentChecker()
    chosen: dict[tuple[str, object], tuple[dict, object, str, dict]] = {}
    for task in tasks:
        tid = task.get("id")
        data = task.get("data") if isinstance(task.get("data"), dict) else {}
        text, meta = data.get("text"), data.get(META_KEY)
        if not isinstance(text, str) or not isinstance(meta, dict):
            out.problems.append(Problem(file, None, None, f"task {tid}",
                                        "task has no text or no tally metadata",
                                        "tasks made by `tally labelstudio tasks`"))
            continue
        items = []
        for ann in task.get("annotations") or []:
            if ann.get("was_cancelled"):
                out.problems.append(Problem(file, None, meta.get("id"),
                                            f"task {tid} annotation {ann.get('id')}",
                                            "skipped (cancelled) annotation not imported",
                                            severity="warning"))
                continue
            items.append((annotator_name(ann.get("completed_by")), ann))
        if predictions:
            for pred in task.get("predictions") or []:
                if isinstance(pred, dict):
                    items.append((annotator_name_model(pred), pred))
        for who, ann in items:
            key = (who, tid)
            if key in chosen:
                old = chosen[key][0]
                newer = max((old, ann), key=lambda a: (str(a.get("updated_at") or ""),
                                                       a.get("id") or 0))
                out.problems.append(Problem(
                    file, None, meta.get("id"), f"task {tid}",
                    f"{who} has two annotations ({old.get('id')}, {ann.get('id')}); "
                    f"keeping the latest, {newer.get('id')}", severity="warning"))
                chosen[key] = (newer, tid, text, meta)
            else:
                chosen[key] = (ann, tid, text, meta)
    for (who, _), (ann, tid, text, meta) in chosen.items():
        w = Where(file, tid, ann.get("id"), meta.get("id"))
        m = dict(meta)
        prov = m.get("provenance")
        if isinstance(prov, dict) and not prov.get("annotator"):
            m["provenance"] = {**prov, "annotator": who}
        doc = results_to_document(m, text, ann.get("result") or [], w, checker)
        out.problems += w.problems
        if doc is not None and not any(p.severity == "error" for p in w.problems):
            out.sets.setdefault(who, []).append(doc)
    return out


def annotator_name_model(pred: dict) -> str:
    return "model-" + re.sub(r"[^A-Za-z0-9._-]", "_", str(pred.get("model_version") or "unknown"))
