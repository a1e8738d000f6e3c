"""Inter-annotator agreement between the annotators of the same Label Studio tasks, per layer,
with the Tally scorer and the table the dataset card publishes (`data/agreement.py`)."""

from __future__ import annotations

from itertools import combinations

from tally.schema.labelstudio.importing import AnnotationSets


def pairwise_reports(sets: AnnotationSets, *, bootstrap: int = 1000, seed: int = 0,
                     regime: str = "exact") -> list[tuple[str, str, int, object]]:
    """(first, second, shared tasks, Report) for every pair of annotators sharing a task;
    the first annotator (in name order) is scored as gold: F1 is symmetric."""
    from tally.data.agreement import as_prediction
    from tally.eval import evaluate

    out = []
    for a, b in combinations(sorted(sets.sets), 2):
        first = {d.id: d for d in sets.sets[a]}
        second = [d for d in sets.sets[b] if d.id in first]
        if not second:
            continue
        gold = [first[d.id] for d in second]
        report = evaluate(gold, [as_prediction(d) for d in second], regime=regime,
                          bootstrap=bootstrap, seed=seed)
        out.append((a, b, len(second), report))
    return out


def agreement_markdown(sets: AnnotationSets, **kw) -> str:
    """One table per pair of annotators (the corpus card's table, with its own heading)."""
    from tally.data.agreement import agreement_markdown as table

    parts = []
    for a, b, n, report in pairwise_reports(sets, **kw):
        body = table(report, {"tasks": n}).split("\n\n", 1)[1]
        parts.append(f"### {a} vs {b}\n\n{n} tasks annotated by both; {b} scored against {a} "
                     f"with the Tally scorer (regime `{report.to_json()['regime']}`).\n\n{body}")
    return "\n\n".join(parts)
