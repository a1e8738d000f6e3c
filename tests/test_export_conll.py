"""CoNLL BIO export: read back, the tags give the canonical triggers and numbers."""

from __future__ import annotations

from seqeval.metrics.sequence_labeling import get_entities

from tally.schema.exports.conll import document_to_conll, read_conll, to_conll
from tests.labelstudio_docs import corpus_docs, unicode_doc


def test_conll_reads_back_to_the_canonical_spans():
    docs = [unicode_doc(), *corpus_docs()]
    text, stats = to_conll(docs)
    back = {d.id: d for d in read_conll(text)}
    assert list(back) == [d.id for d in docs]
    assert stats.widened == 0  # gold spans fall on the tokenizer's boundaries
    # Only a second event on the same trigger span is lost (BIO has one tag per token): every drop
    # is an overlap, and there are no more drops than triggers that overlap another trigger.
    shared = sum(1 for d in docs for e in d.events
                 if any(o is not e and o.trigger.start < e.trigger.end
                        and e.trigger.start < o.trigger.end for o in d.events))
    assert all("overlaps another span" in n for n in stats.notes)
    assert stats.dropped == len(stats.notes) and stats.dropped <= shared
    lost = 0
    for d in docs:
        got_trig = set(back[d.id].spans(3))
        want_trig = {(e.trigger.start, e.trigger.end, e.type) for e in d.events}
        assert got_trig <= want_trig
        lost += len(want_trig - got_trig)
        assert {(s, e) for s, e, _ in got_trig} == {(s, e) for s, e, _ in want_trig}
        assert set(back[d.id].spans(4)) == {(n.span.start, n.span.end, n.kind)
                                            for n in d.numbers}
    assert lost <= stats.dropped


def test_conll_tags_are_seqeval_ready_and_offsets_are_code_points():
    doc = unicode_doc()
    (cd,) = read_conll(document_to_conll(doc))
    for sent in cd.sentences:
        for col in (3, 4):
            tags = [row[col] for row in sent]
            ents = get_entities(tags)
            mine = [(s, e, lab) for s, e, lab in cd.spans(col)
                    if sent[0][1] <= s and e <= sent[-1][2]]
            assert [(sent[i][1], sent[j][2], lab) for lab, i, j in ents] == mine
    for sent in cd.sentences:
        for word, start, end, _, _ in sent:
            assert doc.text[start:end] == word
    # The emoji is one code point (two UTF-16 units): "Ta" of "Ta’ang" starts at 2.
    assert ("Ta", 2, 4) in [(w, s, e) for sent in cd.sentences for w, s, e, _, _ in sent]
