"""Exports of canonical Tally documents for existing toolkits: CoNLL BIO, TextEE/OneIE JSONL,
BRAT standoff. Each module's docstring says what survives and what is lost."""

from tally.schema.exports.brat import write_brat
from tally.schema.exports.conll import ExportStats, to_conll
from tally.schema.exports.textee import to_textee

FORMATS = ("conll", "textee", "brat")

__all__ = ["FORMATS", "ExportStats", "to_conll", "to_textee", "write_brat"]
