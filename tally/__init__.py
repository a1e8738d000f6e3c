"""Tally: event and number extraction from conflict news — dataset, scorer, baselines."""

__version__ = "0.1.0"
