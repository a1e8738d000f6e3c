"""tally.eval: the Tally scorer. This module's exports are the stable API (eval/METRICS.md).

    gold = load_gold(["data/dev.jsonl"], text_dirs=["../shared/seed"])
    preds = load_predictions("system.jsonl", gold)           # TallyError lists every problem
    report = evaluate(gold, preds, regime="exact", bootstrap=1000, seed=0, ci=0.95)
    report.to_json(); report.to_markdown(); report.rich_tables()
    cmp = compare(gold, preds_a, preds_b)                     # paired bootstrap + randomization

For large submissions `evaluate_file(gold, path)` reads a prediction file; against a gold index
(`tally gold-index`, `gold_index.load_gold_index`) `evaluate_index(index, path)` scores it without
loading the gold documents (eval/METRICS.md, "Implementation").
"""

from tally.eval.api import compare, evaluate, evaluate_file, evaluate_index
from tally.eval.loading import iter_predictions, load_gold, load_predictions
from tally.eval.report import Comparison, Report
from tally.eval.version import HEADLINE, METRICS, REGIMES, SCORER_VERSION

__all__ = [
    "HEADLINE",
    "METRICS",
    "REGIMES",
    "SCORER_VERSION",
    "Comparison",
    "Report",
    "compare",
    "evaluate",
    "evaluate_file",
    "evaluate_index",
    "iter_predictions",
    "load_gold",
    "load_predictions",
]
