"""The Tally leaderboard: score every submission folder against the gold, refuse to mix
incomparable results, and write LEADERBOARD.md, leaderboard.json and a static index.html.

Library only (no typer): `tally leaderboard build` in tally/cli/leaderboard_cmds.py is a thin
wrapper. Hidden-gold mode keeps the gold out of every output: rows carry only aggregate scores
and the gold's hash; error messages about a submission are redacted of gold strings; and the
rendered files are scanned for gold spans before anything is written.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from tally import __version__
from tally.eval.leaderboard_columns import COLUMNS, HEADLINE, extract_metrics
from tally.eval.submission import SPLITS, Submission, discover
from tally.schema.diagnostics import Problem, TallyError
from tally.schema.models import Document

BOARD_FORMAT = "tally-leaderboard/1"
# Rows of one split are comparable only when all of these agree.
COMPARABILITY_KEYS = ("scorer_version", "dataset_version", "gold_sha256", "regime")
HIDDEN = "‹hidden›"


@dataclass
class GoldSplit:
    """The gold documents of one split (e.g. dev.jsonl), loaded once for every submission."""

    split: str
    path: Path
    docs: list[Document]


@dataclass
class BuildResult:
    board: dict
    files: dict[str, Path]
    problems: list[Problem] = field(default_factory=list)  # warnings, and errors skipped


# ---------------------------------------------------------------- gold


def check_options(regime: str, bootstrap: int) -> None:
    from tally.eval import REGIMES

    if regime not in REGIMES:
        raise TallyError([Problem("-", None, None, "--regime", f"unknown regime {regime!r}",
                                  f"one of {', '.join(REGIMES)}")])
    if bootstrap < 0:
        raise TallyError([Problem("-", None, None, "--bootstrap", f"{bootstrap}",
                                  "0 (no CI) or more resamples")])


def gold_files(paths: Iterable[Path]) -> dict[str, Path]:
    """Gold files by split: `dev.jsonl` holds the dev split; a folder gives its *.jsonl files."""
    out: dict[str, Path] = {}
    problems: list[Problem] = []
    for p in paths:
        files = sorted(p.glob("*.jsonl")) if p.is_dir() else [p]
        if not files or not all(f.is_file() for f in files):
            problems.append(Problem(str(p), None, None, "--gold", "no gold file found",
                                    "a JSONL file named after its split (dev.jsonl, test.jsonl) "
                                    "or a folder of them"))
            continue
        for f in files:
            split = f.stem
            if split not in SPLITS:
                continue  # train.jsonl in a gold folder is not scored
            if split in out:
                problems.append(Problem(str(f), None, None, "--gold",
                                        f"a second gold file for split {split!r} "
                                        f"(first: {out[split]})", "one gold file per split"))
            out[split] = f
    if not out and not problems:
        problems.append(Problem(", ".join(map(str, paths)) or "-", None, None, "--gold",
                                "no gold split found", f"files named {', '.join(SPLITS)}.jsonl"))
    if problems:
        raise TallyError(problems)
    return out


def _repo_root(start: Path) -> Path | None:
    for d in (start.resolve(), *start.resolve().parents):
        if (d / ".git").exists():
            return d
    return None


def check_hidden_gold_location(gold: dict[str, Path], submissions_dir: Path, out_dir: Path) -> None:
    """Hidden gold must live outside the repository, the submissions and the output folder."""
    fences = [("the submissions folder", submissions_dir.resolve()),
              ("the output folder", out_dir.resolve())]
    root = _repo_root(submissions_dir)
    if root is not None:
        fences.append(("the repository", root))
    problems = []
    for split, path in gold.items():
        rp = path.resolve()
        for what, fence in fences:
            if rp.is_relative_to(fence):
                problems.append(Problem(f"<{split} gold>", None, None, "--gold",
                                        f"hidden gold lies inside {what}",
                                        "a path outside the repository (e.g. a CI secret)"))
    if problems:
        raise TallyError(problems)


def load_gold_splits(gold: dict[str, Path], text_dirs: Iterable[Path] = (), *,
                     hidden_gold: bool = False) -> list[GoldSplit]:
    from tally.eval import load_gold

    out = []
    for split, path in sorted(gold.items()):
        try:
            docs = load_gold([path], text_dirs=list(text_dirs))
            # Made once as columns: every submission of the board is read and scored against
            # them (a file the columnar reader declines goes through the per-document path).
            docs.columnar()
            out.append(GoldSplit(split, path, docs))
        except TallyError as exc:
            if not hidden_gold:
                raise
            # A pull request's log is public: say where hidden gold is broken, not what it holds.
            raise TallyError([Problem(f"<{split} gold>", p.line, None, p.field,
                                      "invalid hidden gold (details withheld)")
                              for p in exc.problems]) from None
    return out


def gold_strings(splits: Iterable[GoldSplit], min_len: int = 4) -> list[str]:
    """Every annotated string of the gold (spans, headlines) with a letter in it, longest first.

    Bare numerals are left out: alone they reveal nothing, and "2023" or "12.5" also occur in
    hashes and scores."""
    found: set[str] = set()
    for g in splits:
        for d in g.docs:
            found.add(d.headline.text)
            for ev in d.events:
                found.add(ev.trigger.text)
                found.update(a.text for a in ev.arguments)
                if ev.source is not None:
                    found.add(ev.source.text)
            found.update(n.span.text for n in d.numbers)
            found.update(t.span.text for t in d.times)
    return sorted((s for s in found if len(s.strip()) >= min_len and _LETTER.search(s)),
                  key=len, reverse=True)


_LETTER = re.compile(r"[^\W\d_]")
_QUOTED = re.compile(r"'([^']{4,})'|\"([^\"]{4,})\"")


def redact(problems: list[Problem], splits: list[GoldSplit]) -> list[Problem]:
    """Problems with every gold string (and any quoted piece of gold text) replaced."""
    strings = gold_strings(splits)
    texts = [d.text for g in splits for d in g.docs if d.text]

    def clean(s: str | None) -> str | None:
        if s is None:
            return None
        for m in _QUOTED.finditer(s):
            quoted = (m.group(1) or m.group(2)).rstrip(".…")
            if any(quoted in t for t in texts) or any(quoted in g for g in strings):
                s = s.replace(quoted, HIDDEN)
        for g in strings:
            s = s.replace(g, HIDDEN)
        return s

    return [Problem(p.file, p.line, p.doc_id, p.field, clean(p.message) or "",
                    clean(p.expected), p.severity) for p in problems]


def find_leaks(texts: dict[str, str], splits: list[GoldSplit], public: str = "") -> list[str]:
    """Gold strings that occur in rendered outputs, ignoring those already in `public` text
    (the page template and the submitters' own metadata, which are not gold)."""
    leaks = []
    for g in gold_strings(splits):
        if g in public:
            continue
        for name, text in texts.items():
            if g in text:
                leaks.append(f"{name}: {len(g)}-character gold string")
    return leaks


# ---------------------------------------------------------------- scoring


def score_submission(sub: Submission, splits: list[GoldSplit], *, regime: str, bootstrap: int,
                     seed: int) -> tuple[list[dict], list[Problem]]:
    """One row per split the submission predicts; problems if its predictions are invalid."""
    from tally.eval import evaluate_file

    rows: list[dict] = []
    problems: list[Problem] = []
    by_split = {g.split: g for g in splits}
    for split, path in sorted(sub.predictions.items()):
        gold = by_split.get(split)
        if gold is None:  # e.g. a participant checking with the public dev gold only
            problems.append(Problem(str(path), None, None, "split",
                                    f"not scored: no gold is loaded for split {split!r}",
                                    severity="warning"))
            continue
        try:  # streamed: memory does not grow with the size of the submission
            report = evaluate_file(gold.docs, path, regime=regime, bootstrap=bootstrap,
                                   seed=seed)
        except TallyError as exc:
            problems += exc.problems
            continue
        rows.append(make_row(sub, split, report.to_json(), n_docs=len(gold.docs),
                             bootstrap=bootstrap, seed=seed, regime=regime))
    return rows, problems


def make_row(sub: Submission, split: str, report: dict, *, n_docs: int, bootstrap: int,
             seed: int, regime: str) -> dict:
    """A board row: who, which split, the headline metrics with CIs, and what makes it
    comparable. Only aggregate figures are kept from the report, never its error listings."""
    m = sub.metadata
    return {
        "submission": sub.name,
        "system": m.system,
        "authors": list(m.authors),
        "date": m.date.isoformat(),
        "paper_url": m.paper_url,
        "code_url": m.code_url,
        "external_data": m.external_data,
        "external_data_notes": m.external_data_notes,
        "llm": m.llm,
        "description": m.description,
        "split": split,
        "documents": n_docs,
        "metrics": extract_metrics(report),
        "scorer_version": str(report.get("scorer_version")),
        "dataset_version": str(report.get("dataset_version")),
        "gold_sha256": str(report.get("gold_sha256")),
        "regime": str(report.get("regime", regime)),
        "bootstrap": bootstrap,
        "seed": seed,
    }


def assemble(rows: list[dict], *, hidden_gold: bool, gold: dict[str, Path] | None = None) -> dict:
    """The board: rows grouped by split, ranked by the headline; refuses incomparable rows."""
    problems = []
    splits: dict[str, dict] = {}
    for split in sorted({r["split"] for r in rows}, key=_split_order):
        srows = [r for r in rows if r["split"] == split]
        keys = {tuple(r[k] for k in COMPARABILITY_KEYS) for r in srows}
        if len(keys) > 1:
            for r in srows:
                desc = ", ".join(f"{k}={r[k]}" for k in COMPARABILITY_KEYS)
                problems.append(Problem(r["submission"], None, None, "comparability",
                                        f"{split} row scored with {desc}",
                                        "every row of a split scored by the same scorer version, "
                                        "dataset version, gold file and matching regime"))
            continue
        srows.sort(key=lambda r: (-_headline(r), r["system"].casefold()))
        for i, r in enumerate(srows, start=1):
            r["rank"] = i
        prov = dict(zip(COMPARABILITY_KEYS, next(iter(keys)), strict=True))
        prov["gold"] = "hidden" if hidden_gold else (gold[split].name if gold else None)
        splits[split] = {"provenance": prov, "rows": srows}
    if problems:
        raise TallyError(problems)
    return {
        "format": BOARD_FORMAT,
        "tally_version": __version__,
        "hidden_gold": hidden_gold,
        "headline": HEADLINE,
        "columns": [{"key": c.key, "label": c.label, "help": c.help} for c in COLUMNS],
        "splits": splits,
    }


def _headline(row: dict) -> float:
    m = row["metrics"].get(HEADLINE)
    return m["value"] if m and m.get("value") is not None else float("-inf")


def _split_order(split: str) -> tuple[int, str]:
    return (0 if split == "test" else 1, split)


# ---------------------------------------------------------------- building


def render(board: dict) -> dict[str, str]:
    """The three output files' contents."""
    from tally.eval.leaderboard_html import render_html
    from tally.eval.leaderboard_md import render_markdown

    return {
        "LEADERBOARD.md": render_markdown(board),
        "leaderboard.json": orjson.dumps(board, option=orjson.OPT_INDENT_2).decode() + "\n",
        "index.html": render_html(board),
    }


def public_text(subs: list[Submission]) -> str:
    """Text that is public whatever the gold: the page templates and the submitters' metadata."""
    from tally.eval.leaderboard_html import TEMPLATE_TEXT
    from tally.eval.leaderboard_md import PROSE

    meta = [s.metadata.model_dump_json() for s in subs]
    cols = [t for c in COLUMNS for t in (c.key, c.label, c.help)]
    return "\n".join([TEMPLATE_TEXT, PROSE, *meta, *cols])


def _write(out_dir: Path, files: dict[str, str]) -> dict[str, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = {}
    for name, text in files.items():
        target = (out_dir / name).resolve()
        if not target.is_relative_to(out_dir.resolve()):  # names come from folder names
            raise TallyError(f"refusing to write outside {out_dir}: {name}")
        tmp = target.with_name(f".{target.name}.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, target)
        written[name] = target
    return written


def build(submissions_dir: Path, gold_paths: list[Path], out_dir: Path, *,
          hidden_gold: bool = False, text_dirs: Iterable[Path] = (), regime: str = "exact",
          bootstrap: int = 1000, seed: int = 0, skip_invalid: bool = False) -> BuildResult:
    """Score every submission and write the board. Any invalid submission fails the build
    (all problems at once) unless `skip_invalid`, which leaves it out and reports it."""
    check_options(regime, bootstrap)
    if out_dir.resolve().is_relative_to(submissions_dir.resolve()):
        raise TallyError([Problem(str(out_dir), None, None, "--out",
                                  "the output folder lies inside the submissions folder",
                                  "a folder outside it")])
    gold = gold_files(gold_paths)
    if hidden_gold:
        check_hidden_gold_location(gold, submissions_dir, out_dir)
    splits = load_gold_splits(gold, text_dirs, hidden_gold=hidden_gold)
    subs, problems = discover(submissions_dir)
    rows: list[dict] = []
    for sub in subs:
        sub_rows, sub_problems = score_submission(sub, splits, regime=regime,
                                                  bootstrap=bootstrap, seed=seed)
        problems += sub_problems
        if not sub_problems:
            rows += sub_rows
    if hidden_gold:
        problems = redact(problems, splits)
    errors = [p for p in problems if p.severity == "error"]
    if errors and not skip_invalid:
        raise TallyError(problems)
    if not rows:
        raise TallyError(problems + [Problem(str(submissions_dir), None, None, "-",
                                             "no valid submission to put on the board",
                                             "at least one submission folder")])
    board = assemble(rows, hidden_gold=hidden_gold, gold=gold)
    if errors:
        board["rejected"] = sorted({_submission_of(p.file, submissions_dir) for p in errors})
    files = render(board)
    files.update({f"results/{r['submission']}.{r['split']}.json":
                  orjson.dumps(r, option=orjson.OPT_INDENT_2).decode() + "\n"
                  for s in board["splits"].values() for r in s["rows"]})
    if hidden_gold:
        leaks = find_leaks(files, splits, public_text(subs))
        if leaks:
            raise TallyError([Problem(str(out_dir), None, None, "hidden gold",
                                      f"output would reveal gold: {leak}", "no gold string")
                              for leak in leaks])
    (out_dir / "results").mkdir(parents=True, exist_ok=True)
    written = _write(out_dir, files)
    for old in (out_dir / "results").glob("*.json"):  # rows of submissions no longer there
        if f"results/{old.name}" not in written:
            old.unlink()
    return BuildResult(board, written, problems)


def _submission_of(file: str, submissions_dir: Path) -> str:
    """The submission folder a problem's file lies in (its first part under the folder)."""
    try:
        return Path(file).resolve().relative_to(submissions_dir.resolve()).parts[0]
    except (ValueError, IndexError):
        return Path(file).name


def validate_submission(folder: Path, gold_paths: list[Path], *, hidden_gold: bool = False,
                        text_dirs: Iterable[Path] = (), regime: str = "exact",
                        bootstrap: int = 1000, seed: int = 0) -> tuple[list[dict], list[Problem]]:
    """Check and score one submission folder (the pull-request check): its rows and warnings,
    or TallyError."""
    from tally.eval.submission import check_submission

    check_options(regime, bootstrap)
    gold = gold_files(gold_paths)
    if hidden_gold:
        check_hidden_gold_location(gold, folder.parent, folder.parent)
    splits = load_gold_splits(gold, text_dirs, hidden_gold=hidden_gold)
    sub, problems = check_submission(folder)
    rows: list[dict] = []
    if sub is not None:
        rows, problems = score_submission(sub, splits, regime=regime, bootstrap=bootstrap,
                                          seed=seed)
    if hidden_gold:
        problems = redact(problems, splits)
    if any(p.severity == "error" for p in problems):
        raise TallyError(problems)
    return rows, problems
