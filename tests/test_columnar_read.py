"""The columnar reader and the gold index against the reference path, on the real corpus.

The reference is `loading.iter_plain_predictions` + `SubmissionChecker` (records placed in gold
order, then `columns.from_pdocs`). A valid submission in the plain canonical shape must give the
same columns, order and missing documents; any submission the reference finds a problem in must
be declined (None); a valid submission may be declined only for a non-canonical shape.
"""

from __future__ import annotations

import random
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np
import orjson
import pyarrow.json
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tally.eval import columnar_read as CR
from tally.eval import columns as C
from tally.eval import gold_index as GI
from tally.eval.columnar_read import read_predictions
from tally.eval.gold_index import build_gold_index, is_gold_index, load_gold_index
from tally.eval.loading import (
    GoldDocuments,
    SubmissionChecker,
    gold_index,
    gold_sha256,
    iter_plain_predictions,
    load_gold,
)
from tally.eval.plain import from_model
from tally.schema.diagnostics import TallyError
from tests.eval_perturb import perturb

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(scope="module")
def gold() -> GoldDocuments:
    return load_gold([DATA / f"{s}.jsonl" for s in ("train", "dev", "test")])


@pytest.fixture(scope="module")
def gi(gold, tmp_path_factory):
    path = tmp_path_factory.mktemp("index") / "gold.arrow"
    build_gold_index(gold, path, "test-version")
    return load_gold_index(path)


def reference(path: Path, gold: list) -> tuple[C.Columns, list[int], int, list[str], list]:
    """Columns, scoring order, number of predictions, missing ids and problems of the
    reference path."""
    index = gold_index(gold)
    checker = SubmissionChecker(index, str(path))
    got = [p for p, _ in iter_plain_predictions(path, checker)]
    placed = [None] * len(gold)
    for p in got:
        placed[index[p.id].index] = p
    missing = checker.missing()
    order = [index[p.id].index for p in got] + [index[m].index for m in missing]
    return C.from_pdocs(placed), order, len(got), missing, checker.problems


def write(path: Path, preds: list[dict]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(p) + b"\n" for p in preds))
    return path


def assert_same(path: Path, gold: list, gi) -> None:
    cols, order, n_pred, missing, problems = reference(path, gold)
    assert not problems, problems[:3]
    got = read_predictions(path, gi)
    assert got is not None, "a valid canonical submission was declined"
    assert got.columns.equals(cols)
    assert got.order.dtype == np.int64 and got.order.tolist() == order
    assert (got.n_pred, got.missing) == (n_pred, missing)


# -- valid submissions ---------------------------------------------------------------------------

@pytest.mark.parametrize("rate", [0.0, 0.1, 0.25, 0.5])
@pytest.mark.parametrize("seed", [1, 2])
def test_perturbed_submissions(gold, gi, tmp_path, seed, rate):
    rng = random.Random(seed)
    preds = [perturb(d, rng, rate) for d in gold]
    assert_same(write(tmp_path / "p.jsonl", preds), gold, gi)
    # shuffled lines, texts on every other line, a tenth of the documents missing
    rng.shuffle(preds)
    for i, p in enumerate(preds):
        if i % 2:
            p["text"] = gold[gi.index[p["id"]]].text
    assert_same(write(tmp_path / "q.jsonl", preds[: len(preds) * 9 // 10]), gold, gi)


def test_small_blocks_and_sparse_keys(gold, gi, tmp_path, monkeypatch):
    """Many parsed blocks (codes shared across blocks, event rows shifted) and the sorted
    lookup used when the (line, id) key space is too large for a table."""
    monkeypatch.setattr(CR, "_READ", pyarrow.json.ReadOptions(block_size=1 << 15))
    monkeypatch.setattr(CR, "_DENSE_KEYS", 0)
    rng = random.Random(5)
    preds = [perturb(d, rng, 0.3) for d in gold]
    rng.shuffle(preds)
    path = write(tmp_path / "p.jsonl", preds)
    assert CR._parse(path).column("id").num_chunks > 10
    assert_same(path, gold, gi)
    preds[-1]["numbers"].append(dict(preds[-1]["numbers"][0]))  # a repeated number id
    path = write(tmp_path / "p.jsonl", preds)
    assert reference(path, gold)[4] and read_predictions(path, gi) is None


def test_gold_itself_and_empty(gold, gi, tmp_path):
    preds = [{k: v for k, v in d.model_dump(mode="json").items()
              if k in ("format_version", "id", "text", "events", "numbers", "times",
                       "relations")} for d in gold]
    assert_same(write(tmp_path / "g.jsonl", preds), gold, gi)
    got = read_predictions(write(tmp_path / "e.jsonl", []), gi)
    assert got is not None and got.n_pred == 0 and got.missing == gi.ids
    assert got.columns.equals(C.from_pdocs([None] * len(gold)))


def test_non_ascii_spans(gold, gi, tmp_path):
    """Curly quotes and dashes: offsets are code points, the comparison is in UTF-8 bytes."""
    preds = [perturb(d, random.Random(7), 0.1) for d in gold]
    spans = [s for p in preds for e in p["events"] for s in
             [e["trigger"], *e["arguments"], *([e["source"]] if e["source"] else [])]]
    assert any(not s["text"].isascii() for s in spans)
    assert_same(write(tmp_path / "p.jsonl", preds), gold, gi)
    # A non-ASCII span moved by one character (same length): the reference and we refuse it.
    for p in preds:
        for e in p["events"]:
            for a in e["arguments"]:
                if not a["text"].isascii():
                    a["start"] += 1
                    a["end"] += 1
                    path = write(tmp_path / "bad.jsonl", preds)
                    assert reference(path, gold)[4]
                    assert read_predictions(path, gi) is None
                    return
    raise AssertionError("no non-ASCII argument in the corpus")


def test_unhydrated_gold(gold, tmp_path):
    """Without gold texts, spans are not compared and a given text is checked by its hash."""
    part = GoldDocuments(d.model_copy(update={"text": None}) if i % 2 else d
                         for i, d in enumerate(gold))
    build_gold_index(part, tmp_path / "g.arrow", "x")
    gi = load_gold_index(tmp_path / "g.arrow")
    assert not gi.hydrated and gi.texts.null_count == len(gold) // 2
    preds = [perturb(d, random.Random(3), 0.3) for d in gold]
    for p, d in zip(preds, gold, strict=True):
        p["text"] = d.text
    assert_same(write(tmp_path / "p.jsonl", preds), part, gi)
    preds[1]["text"] += " "  # an unhydrated document: the hash differs
    path = write(tmp_path / "p.jsonl", preds)
    assert reference(path, part)[4] and read_predictions(path, gi) is None


# -- corrupted submissions: a hypothesis fuzz ---------------------------------------------------

OPS = ("delete", "null", "retype", "int", "float", "string", "dup_item", "drop_item",
       "bytes", "shift", "retext")
# Operations that may leave a valid submission in a shape we decline (a missing defaulted
# field, a type pydantic coerces, -0, a blank line). Every other valid result must be read.
MAY_DECLINE = {"delete", "retype", "float", "bytes"}
STRINGS = ("e1", "n1", "t1", "x9", "DEATH", "INJURY", "NOPE", "victim", "agent", "place",
           "event_count", "other", "exact", "vague", "range", "civilians", "incident",
           "restates", "part_of", "asserted", "reported", "1.0", "2.0", "", "a" * 64, "a" * 65,
           "é1", "e 1", "1e", "\u201cquoted\u201d", "caf\u00e9", "tly-unknown",
           "2023-11-12", "day", "approx", "date", "USD")
RETEXT = ("x", " ", "e", "\u00e9", "\u2019", "\u201c", "\u2014", "\U0001f600", "\n")
WRONG = (None, 0, 1, -1, 1.5, -0.0, True, "x", [], {}, [None], {"start": 0})
BYTES = (b"\n", b"\n\n", b" ", b"\xff", b"\xef\xbb\xbf", b"x", b"}", b"{", b"NaN", b"-0",
         b"1e2", b"\r", b"99999999999999999999999")
seen: Counter = Counter()


def _slots(obj, out: list) -> list:
    """Every (container, key) inside a JSON value."""
    items = obj.items() if isinstance(obj, dict) else enumerate(obj)
    for k, v in items:
        out.append((obj, k))
        if isinstance(v, (dict, list)):
            _slots(v, out)
    return out


def _mutate(preds: list[dict], op: str, data) -> bytes:
    slots = _slots(preds, [])
    if op in ("shift", "retext"):  # the span checks against the gold text
        slots = [(o, k) for o, k in slots if isinstance(o[k], dict) and "start" in o[k]]
    obj, key = slots[data.draw(st.integers(0, len(slots) - 1), label="slot")]
    v = obj[key]
    if op == "delete" and isinstance(obj, dict):
        del obj[key]
    elif op == "null":
        obj[key] = None
    elif op == "retype":
        obj[key] = data.draw(st.sampled_from(WRONG), label="wrong")
    elif op == "int" and type(v) is int:
        obj[key] = v + data.draw(st.sampled_from((-100, -1, 1, 2, 2**62)), label="delta")
    elif op == "float" and type(v) in (int, float):
        obj[key] = data.draw(st.floats(allow_nan=False, allow_infinity=False) | st.integers(
            -(2**63), 2**64 - 1), label="float")
    elif op == "string" and isinstance(v, str):
        obj[key] = data.draw(st.sampled_from(STRINGS) | st.text(max_size=5), label="string")
    elif op == "dup_item" and isinstance(obj, list):
        obj.insert(key, v)
    elif op == "drop_item" and isinstance(obj, list):
        del obj[key]
    elif op == "shift":  # same length, other offsets
        d = data.draw(st.sampled_from((-2, -1, 1, 2, 1000)), label="shift")
        obj[key] = dict(v, start=v["start"] + d, end=v["end"] + d)
    elif op == "retext":  # one character replaced (multi-byte ones too), or appended
        t, i = v["text"], data.draw(st.integers(0, len(v["text"]) - 1), label="at")
        c = data.draw(st.sampled_from(RETEXT), label="char")
        if data.draw(st.booleans(), label="append"):
            obj[key] = dict(v, text=t + c, end=v["end"] + 1)
        else:
            obj[key] = dict(v, text=t[:i] + c + t[i + 1:])
    raw = b"".join(orjson.dumps(p) + b"\n" for p in preds)
    if op == "bytes":
        at = data.draw(st.integers(0, len(raw)), label="at")
        raw = raw[:at] + data.draw(st.sampled_from(BYTES), label="bytes") + raw[at:]
    return raw


@settings(max_examples=500, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_fuzz_never_accepts_a_problem(gold, gi, data):
    docs = data.draw(st.lists(st.integers(0, len(gold) - 1), min_size=1, max_size=3,
                              unique=True), label="docs")
    seed = data.draw(st.integers(0, 3), label="seed")
    preds = [perturb(gold[i], random.Random(seed), 0.2) for i in docs]
    if data.draw(st.booleans(), label="text"):
        preds[0]["text"] = gold[docs[0]].text
    if data.draw(st.booleans(), label="dup line"):
        preds.append(dict(preds[0]))
    elif data.draw(st.booleans(), label="unknown doc"):
        preds.append(dict(preds[0], id="tly-unknown-doc"))
    op = data.draw(st.sampled_from(OPS), label="op")
    raw = _mutate(preds, op, data)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "p.jsonl"
        path.write_bytes(raw)
        cols, order, n_pred, missing, problems = reference(path, gold)
        got = read_predictions(path, gi)
    if problems:
        seen["problem"] += 1
        assert got is None, problems[:3]
    elif got is None:
        seen[f"valid declined ({op})"] += 1
        assert op in MAY_DECLINE, f"valid submission declined after {op}"
    else:
        seen["valid read"] += 1
        assert got.columns.equals(cols)
        assert (got.order.tolist(), got.n_pred, got.missing) == (order, n_pred, missing)


def test_fuzz_tally():
    """Runs after the fuzz (file order): both outcomes occurred. `pytest -s` prints them."""
    print(dict(seen))
    if seen:
        assert seen["problem"] > 50 and seen["valid read"] > 20


@pytest.mark.parametrize("edit, declined_valid", [
    (lambda p: p["events"][0].pop("factuality"), True),  # a missing default: not canonical
    (lambda p: p["events"][0].update(implicit_counts=None), False),  # null: a problem
    (lambda p: p["numbers"][0].update(value=-0.0, lower=-0.0, upper=-0.0, qualifier="exact",
                                      kind="other", event=None, counted_role=None), True),
    (lambda p: p["numbers"][0].update(unit=None), None),  # a nullable null: read it
    (lambda p: p["events"][0].update(time="t404"), False),
    (lambda p: p["events"][0].update(id="e" * 65), False),
    (lambda p: p["events"][0]["trigger"].update(start=-1), False),
    (lambda p: p["numbers"][0].update(lower=None), False),  # bounds disagree with qualifier
    (lambda p: p.update(format_version="9.9"), False),
])
def test_shapes(gold, gi, tmp_path, edit, declined_valid):
    d = next(d for d in gold if d.events and d.numbers and d.numbers[0].qualifier == "exact")
    p = perturb(d, random.Random(0), 0.0)
    edit(p)
    path = write(tmp_path / "p.jsonl", [p])
    problems = reference(path, gold)[4]
    got = read_predictions(path, gi)
    if declined_valid is None:
        assert not problems and got is not None
    else:
        assert bool(problems) != declined_valid and got is None


@pytest.mark.parametrize("raw", [
    b'{"id": "a"} {"id": "b"}\n',  # two objects on a line: pyarrow reads them, orjson does not
    b"\xef\xbb\xbf",  # a byte order mark
    b"\n",  # a blank line (valid, but declined)
    b'{"format_version":"1.0","id":"x","events":[],"numbers":[],"times":[],"relations":[]}',
])
def test_file_shapes(gold, gi, tmp_path, raw):
    preds = [perturb(d, random.Random(1), 0.1) for d in gold[:3]]
    body = b"".join(orjson.dumps(p) + b"\n" for p in preds)
    path = tmp_path / "p.jsonl"
    path.write_bytes(body + raw)
    assert read_predictions(path, gi) is None
    path.write_bytes(body.rstrip(b"\n"))  # no final newline: fine
    assert_same(path, gold, gi)


# -- the index file ------------------------------------------------------------------------------

def test_index_round_trip(gold, gi):
    assert gi.columns.equals(C.from_pdocs([from_model(d) for d in gold]))
    assert gi.ids == [d.id for d in gold] and gi.index[gold[5].id] == 5
    assert gi.sha256 == gold_sha256(gold) and gi.hydrated and gi.dataset_version == "test-version"
    assert gi.text_sha256 == [d.text_sha256 for d in gold]
    assert gi.texts.to_pylist() == [d.text for d in gold]
    for d, doc in enumerate(gold):  # the code point -> byte map, at every offset
        cps = np.arange(len(doc.text) + 1, dtype=np.int64)
        want = gi.byte_start[d] + np.cumsum([0] + [len(c.encode()) for c in doc.text])
        assert (gi.cp_to_byte(gi.cp_start[d] + cps) == want).all()
    assert gi.na_cp.size > 0  # the corpus has non-ASCII characters


def test_index_errors(gold, tmp_path, monkeypatch):
    jsonl = DATA / "dev.jsonl"
    assert not is_gold_index(jsonl) and not is_gold_index(tmp_path / "none")
    garbage = tmp_path / "garbage.arrow"
    garbage.write_bytes(b"ARROW1 but not really")
    assert is_gold_index(garbage)
    for bad in (garbage, jsonl, tmp_path / "none"):
        with pytest.raises(TallyError) as err:
            load_gold_index(bad)
        assert str(bad) in str(err.value) and "gold index" in str(err.value)
    small = GoldDocuments(gold[:3])
    for name in ("SCORER_VERSION", "FORMAT_VERSION"):
        path = tmp_path / f"{name}.arrow"
        with monkeypatch.context() as m:
            m.setattr(GI, name, "0.0.1")
            build_gold_index(small, path, "x")
        assert is_gold_index(path)
        with pytest.raises(TallyError) as err:
            load_gold_index(path)
        assert str(path) in str(err.value) and "0.0.1" in str(err.value)
        assert "rebuild" in str(err.value)
    # a truncated file (as a crash would leave without the atomic rename)
    path = tmp_path / "cut.arrow"
    build_gold_index(small, path, "x")
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(TallyError):
        load_gold_index(path)
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
