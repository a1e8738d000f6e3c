"""Scorer results: JSON (stable schema, eval/METRICS.md), Markdown and rich tables."""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.table import Table

from tally.eval.scoring import EMPTY
from tally.eval.version import (
    COMPARISON_SCHEMA,
    HEADLINE,
    METRICS,
    REPORT_SCHEMA,
    SCORER_VERSION,
)

BREAKDOWN_BY = {
    "trigger_classification": "type",
    "argument_classification": "role",
    "number_span": "qualifier",
    "number_bounds": "qualifier",
    "number_kind": "kind",
    "number_event_link": "type",
    "tally_strict": "type",
    "tally_soft": "type",
    "tally_strict_explicit": "type",
    "tally_soft_explicit": "type",
    "factuality": "factuality",
    "attribution": "source",
}


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f}"


def _num(x: float | None) -> str:
    if x is None:
        return "–"
    return f"{x:g}" if x != int(x) else str(int(x))


@dataclass
class Report:
    """The result of `evaluate`. `data` is exactly what `to_json()` returns."""

    data: dict
    extras: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        return self.data

    @property
    def headline(self) -> dict:
        return self.data["headline"]

    def metric(self, name: str) -> dict:
        return self.data["metrics"][name]

    # -- markdown --------------------------------------------------------------------------
    def to_markdown(self, breakdowns: bool = True) -> str:
        d = self.data
        h = d["headline"]
        out = [
            "# Tally evaluation",
            "",
            f"scorer {d['scorer_version']} · dataset {d['dataset_version']} · gold sha256 "
            f"`{d['gold_sha256'][:16]}` · regime **{d['regime']}** · "
            f"{d['documents']['scored']} documents · bootstrap {d['options']['bootstrap']} "
            f"(seed {d['options']['seed']}, {int(100 * d['options']['ci'])}% CI)",
            "",
            f"**Headline ({h['metric']}) F1 = {_pct(h['f1'])}** "
            f"[{_pct(h['ci_low'])}, {_pct(h['ci_high'])}]",
            "",
        ]
        if d["documents"]["missing"]:
            out += [f"Missing documents scored as empty: {len(d['documents']['missing'])}", ""]
        out += ["| metric | P | R | F1 / acc. | CI | gold | pred | matched |",
                "|---|---:|---:|---:|---|---:|---:|---:|"]
        for name, m in d["metrics"].items():
            main = m["accuracy"] if m["kind"] == "accuracy" else m["f1"]
            ci = f"[{_pct(m['ci_low'])}, {_pct(m['ci_high'])}]" if m["ci_low"] is not None else ""
            acc = " (acc.)" if m["kind"] == "accuracy" else ""
            out.append(f"| {name} | {_pct(m['precision'])} | {_pct(m['recall'])} | "
                       f"{_pct(main)}{acc} | {ci} | {_num(m['gold'])} | {_num(m['predicted'])} | "
                       f"{_num(m['matched'] if m['kind'] != 'accuracy' else m['correct'])} |")
        out.append("")
        if breakdowns:
            for name in ("trigger_classification", "argument_classification", "number_bounds",
                         "tally_strict", "tally_soft"):
                out += self._breakdown_md(name)
            out += self._confusion_md()
        if d.get("errors"):
            out += ["## Errors", "", "| doc | layer | error | item | context |",
                    "|---|---|---|---|---|"]
            for e in d["errors"]:
                row = [e["doc_id"], e["layer"], e["error"], e["item"], e["context"]]
                out.append("| " + " | ".join(c.replace("|", "\\|") for c in row) + " |")
            out.append("")
        return "\n".join(out)

    def _breakdown_md(self, name: str) -> list[str]:
        m = self.data["metrics"][name]
        b = m.get("breakdown")
        if not b or not b["rows"]:
            return []
        out = [f"## {name} by {b['by']}", ""]
        if m["kind"] == "accuracy":
            out += [f"| {b['by']} | accuracy | correct | total |", "|---|---:|---:|---:|"]
            for label, r in b["rows"].items():
                out.append(f"| {label} | {_pct(r['accuracy'])} | {_num(r['correct'])} | "
                           f"{_num(r['total'])} |")
        else:
            mac = m.get("macro") or {}
            out += [f"macro F1 over {mac.get('labels', 0)} labels: {_pct(mac.get('f1'))}", "",
                    f"| {b['by']} | P | R | F1 | gold | pred | matched |",
                    "|---|---:|---:|---:|---:|---:|---:|"]
            for label, r in b["rows"].items():
                out.append(f"| {label} | {_pct(r['precision'])} | {_pct(r['recall'])} | "
                           f"{_pct(r['f1'])} | {_num(r['gold'])} | {_num(r['predicted'])} | "
                           f"{_num(r['matched'])} |")
        return out + [""]

    def _confusion_md(self) -> list[str]:
        conf = self.data["confusion"]
        labels = conf["labels"]
        mat = conf["matrix"]
        if not mat:
            return []
        cols = [c for c in labels if any(mat.get(r, {}).get(c) for r in labels)]
        out = ["## Event-type confusion (rows gold, columns predicted)", "",
               "| gold \\ pred | " + " | ".join(cols) + " |",
               "|---|" + "---:|" * len(cols)]
        for r in labels:
            if r in mat:
                out.append(f"| {r} | " + " | ".join(str(mat[r].get(c, "")) for c in cols) + " |")
        return out + [""]

    # -- rich ------------------------------------------------------------------------------
    def rich_tables(self, breakdowns: bool = False) -> list[Table]:
        d = self.data
        h = d["headline"]
        t = Table(title=f"Tally evaluation · regime {d['regime']} · "
                        f"{d['documents']['scored']} docs · headline {h['metric']} "
                        f"F1 {_pct(h['f1'])} [{_pct(h['ci_low'])}, {_pct(h['ci_high'])}]",
                  caption=f"scorer {d['scorer_version']} · dataset {d['dataset_version']} · "
                          f"gold {d['gold_sha256'][:12]} · {int(100 * d['options']['ci'])}% "
                          f"bootstrap CI ({d['options']['bootstrap']}, "
                          f"seed {d['options']['seed']})")
        for col, just in (("metric", "left"), ("P", "right"), ("R", "right"),
                          ("F1/acc", "right"), ("CI", "left"), ("gold", "right"),
                          ("pred", "right"), ("matched", "right")):
            t.add_column(col, justify=just, no_wrap=col in ("metric", "CI"))
        for name, m in d["metrics"].items():
            main = m["accuracy"] if m["kind"] == "accuracy" else m["f1"]
            ci = f"[{_pct(m['ci_low'])}, {_pct(m['ci_high'])}]" if m["ci_low"] is not None else ""
            style = "bold" if name == HEADLINE else None
            t.add_row(name, _pct(m["precision"]), _pct(m["recall"]),
                      _pct(main) + (" acc" if m["kind"] == "accuracy" else ""), ci,
                      _num(m["gold"]), _num(m["predicted"]),
                      _num(m["correct"] if m["kind"] == "accuracy" else m["matched"]),
                      style=style)
        tables = [t]
        if breakdowns:
            for name in ("trigger_classification", "tally_strict"):
                b = d["metrics"][name].get("breakdown")
                if not b or not b["rows"]:
                    continue
                bt = Table(title=f"{name} by {b['by']}")
                for col in (b["by"], "P", "R", "F1", "gold", "pred", "matched"):
                    bt.add_column(col, justify="left" if col == b["by"] else "right")
                for label, r in b["rows"].items():
                    bt.add_row(label, _pct(r["precision"]), _pct(r["recall"]), _pct(r["f1"]),
                               _num(r["gold"]), _num(r["predicted"]), _num(r["matched"]))
                tables.append(bt)
            conf = d["confusion"]["matrix"]
            off = sorted(((g, p, n) for g, row in conf.items() for p, n in row.items() if g != p),
                         key=lambda x: -x[2])
            if off:
                ct = Table(title="Event-type confusions (off-diagonal)")
                for col in ("gold", "predicted", "count"):
                    ct.add_column(col)
                for g, p, n in off[:30]:
                    ct.add_row(g, p, str(n))
                tables.append(ct)
        if d.get("errors"):
            et = Table(title="Errors (first per layer)")
            for col in ("doc", "layer", "error", "item", "context"):
                et.add_column(col, overflow="fold")
            for e in d["errors"]:
                et.add_row(e["doc_id"], e["layer"], e["error"], e["item"], e["context"])
            tables.append(et)
        return tables


@dataclass
class Comparison:
    """The result of `compare`: per metric, A, B, the difference, its CI and two p-values."""

    data: dict

    def to_json(self) -> dict:
        return self.data

    def to_markdown(self) -> str:
        d = self.data
        a, b = d["systems"]
        out = ["# Tally comparison", "",
               f"{a} vs {b} · regime {d['regime']} · {d['documents']} documents · "
               f"paired bootstrap {d['options']['bootstrap']}, approximate randomization "
               f"{d['options']['permutations']} (seed {d['options']['seed']})", "",
               f"| metric | {a} | {b} | difference | CI | p (bootstrap) | p (randomization) |",
               "|---|---:|---:|---:|---|---:|---:|"]
        for name, m in d["metrics"].items():
            out.append(f"| {name} | {_pct(m['a'])} | {_pct(m['b'])} | {_pct(m['difference'])} | "
                       f"[{_pct(m['ci_low'])}, {_pct(m['ci_high'])}] | {_p(m['p_bootstrap'])} | "
                       f"{_p(m['p_randomization'])} |")
        return "\n".join(out) + "\n"

    def rich_tables(self) -> list[Table]:
        d = self.data
        a, b = d["systems"]
        t = Table(title=f"Tally comparison: {a} vs {b} · regime {d['regime']} · "
                        f"{d['documents']} docs",
                  caption=f"paired bootstrap {d['options']['bootstrap']} · approximate "
                          f"randomization {d['options']['permutations']} · seed "
                          f"{d['options']['seed']} · scorer {d['scorer_version']}")
        for col in ("metric", a, b, "A − B", "CI", "p boot", "p AR"):
            t.add_column(col, justify="left" if col == "metric" else "right")
        for name, m in d["metrics"].items():
            t.add_row(name, _pct(m["a"]), _pct(m["b"]), _pct(m["difference"]),
                      f"[{_pct(m['ci_low'])}, {_pct(m['ci_high'])}]", _p(m["p_bootstrap"]),
                      _p(m["p_randomization"]), style="bold" if name == HEADLINE else None)
        return [t]


def _p(x: float | None) -> str:
    return "–" if x is None else f"{x:.4f}"


def confusion_json(counter) -> dict:
    names = {g for g, _ in counter} | {p for _, p in counter}
    labels = sorted(names - {EMPTY}) + [EMPTY]
    matrix: dict[str, dict[str, int]] = {}
    for (g, p), n in sorted(counter.items()):
        matrix.setdefault(g, {})[p] = n
    return {"labels": labels, "matrix": matrix}


__all__ = ["Comparison", "Report", "SCORER_VERSION", "REPORT_SCHEMA", "COMPARISON_SCHEMA",
           "METRICS"]
