"""Building the corpus: .tly sources -> train/dev/test JSONL, split by story cluster.

`data/splits.yaml` records which split each story belongs to; it is committed so the split is
one canonical list (no re-splitting by users). New stories are appended by `assign_splits`,
existing assignments never move; stories of conflicts flagged `unseen_conflict` go to test.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path

import yaml

from tally.schema.authoring import compile_file
from tally.schema.diagnostics import Problem, TallyError
from tally.schema.jsonl import dump_line
from tally.schema.models import Document

DATA_DIR = Path(__file__).resolve().parent
AUTHORING_DIR = DATA_DIR / "authoring"
SPLITS_FILE = DATA_DIR / "splits.yaml"
SPLITS = ("train", "dev", "test")
TARGET_SHARE = {"train": 0.66, "dev": 0.17, "test": 0.17}  # dev and test >= 50 docs


def compile_sources(folder: Path = AUTHORING_DIR) -> list[Document]:
    """Compile every .tly file under `folder`; raise TallyError listing every problem."""
    docs: list[Document] = []
    problems: list[Problem] = []
    for f in sorted(folder.rglob("*.tly")):
        doc, probs = compile_file(f)
        problems.extend(probs)
        if doc is not None:
            docs.append(doc)
    if problems:
        raise TallyError(problems)
    return sorted(docs, key=lambda d: d.id)


def read_splits(path: Path = SPLITS_FILE) -> dict[str, str]:
    if not path.exists():
        return {}
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {story: split for split, stories in raw.items() for story in (stories or [])}


def _stable_key(story: str) -> str:
    return hashlib.sha256(story.encode()).hexdigest()


def assign_splits(docs: list[Document], existing: dict[str, str]) -> dict[str, str]:
    """Keep existing story assignments; place new stories by a deterministic greedy fill."""
    per_story = Counter(d.story for d in docs)
    unseen = {d.story for d in docs if d.unseen_conflict}
    assigned = {s: sp for s, sp in existing.items() if s in per_story}
    sizes = Counter()
    for s, sp in assigned.items():
        sizes[sp] += per_story[s]
    new = sorted((s for s in per_story if s not in assigned), key=_stable_key)
    for s in sorted(new, key=lambda s: s not in unseen):  # unseen stories first, into test
        if s in unseen:
            split = "test"
        else:
            total = sum(sizes.values()) + per_story[s]
            split = min(SPLITS, key=lambda sp: (sizes[sp] + per_story[s]) / total
                        - TARGET_SHARE[sp])
        assigned[s] = split
        sizes[split] += per_story[s]
    return assigned


def check_split_rules(docs: list[Document], splits: dict[str, str]) -> list[Problem]:
    """Stories stay in one split; conflicts flagged unseen never appear in train or dev."""
    problems = []
    unseen_conflicts = {d.conflict for d in docs if d.unseen_conflict}
    for d in docs:
        split = splits.get(d.story)
        if d.conflict in unseen_conflicts and split != "test":
            problems.append(Problem(str(SPLITS_FILE), None, d.id, "unseen_conflict",
                                    f"conflict {d.conflict!r} is flagged unseen but story "
                                    f"{d.story!r} is in {split}", "test"))
        if d.conflict in unseen_conflicts and not d.unseen_conflict:
            problems.append(Problem(str(SPLITS_FILE), None, d.id, "unseen_conflict",
                                    f"other documents of {d.conflict!r} are flagged unseen",
                                    "unseen_conflict: true on every document of that conflict"))
    return problems


def build_corpus(data_dir: Path = DATA_DIR, *, check: bool = False) -> dict[str, list[Document]]:
    """Compile the sources, assign splits and write (or, with check, compare) the split files."""
    docs = compile_sources(data_dir / "authoring")
    splits_path = data_dir / "splits.yaml"
    splits = assign_splits(docs, read_splits(splits_path))
    problems = check_split_rules(docs, splits)
    if problems:
        raise TallyError(problems)
    by_split: dict[str, list[Document]] = {sp: [] for sp in SPLITS}
    for d in docs:
        by_split[splits[d.story]].append(d)
    outputs = {data_dir / f"{sp}.jsonl": b"".join(dump_line(d) for d in by_split[sp])
               for sp in SPLITS}
    split_yaml = yaml.safe_dump(
        {sp: sorted(s for s, x in splits.items() if x == sp) for sp in SPLITS}, sort_keys=False)
    outputs[splits_path] = ("# Story clusters per split (tally corpus build). Assignments never "
                            "move once made.\n" + split_yaml).encode()
    from tally.data.agreement import agreement_markdown, agreement_report
    from tally.data.card import render_card

    agreement_md = None
    report = agreement_report(docs, data_dir / "agreement")
    if report is not None:
        doc_split = {d.id: sp for sp, ds in by_split.items() for d in ds}
        counts = Counter(doc_split[f.stem] for f in (data_dir / "agreement").rglob("*.tly")
                         if "first-annotation" not in f.parts)
        agreement_md = agreement_markdown(report, {sp: counts[sp] for sp in SPLITS})
    card = data_dir / "README.md"
    old_card = card.read_text(encoding="utf-8") if card.exists() else ""
    outputs[card] = render_card(old_card, by_split, agreement_md).encode()
    if check:
        stale = [str(p) for p, b in outputs.items() if not p.exists() or p.read_bytes() != b]
        if stale:
            raise TallyError(f"out of date with data/authoring: {', '.join(stale)}; "
                             "run `tally corpus build`")
    else:
        for p, b in outputs.items():
            p.write_bytes(b)
    return by_split
