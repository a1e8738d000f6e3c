"""The baseline registry: name -> system class, with did-you-mean errors for unknown names."""

from __future__ import annotations

import difflib

from tally.schema.diagnostics import Problem, TallyError

from .learned import CRFSystem, LinearSystem
from .rules import RulesSystem

SYSTEMS: dict[str, type] = {cls.name: cls for cls in (RulesSystem, LinearSystem, CRFSystem)}


def get_system(name: str) -> type:
    """The class registered under `name`; a TallyError naming the closest names otherwise."""
    try:
        return SYSTEMS[name]
    except KeyError:
        close = difflib.get_close_matches(name.lower(), SYSTEMS, n=2, cutoff=0.5)
        hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        raise TallyError([Problem("-", None, None, "system", f"unknown baseline {name!r}{hint}",
                                  ", ".join(sorted(SYSTEMS)))]) from None
