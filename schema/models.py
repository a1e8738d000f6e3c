"""The canonical Tally data model: every type a Tally file holds, in one place.

These pydantic models define the JSONL format (one `Document` per line), are used to
validate at every file boundary, and generate `schema/document.schema.json`.
Offsets are Python `str` indices (Unicode code points) into `Document.text`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

FORMAT_VERSION = "1.0"

Id = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_-]*$", max_length=64)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=True)


class Genre(StrEnum):
    wire = "wire"
    situation_report = "situation_report"
    ngo_release = "ngo_release"
    communique = "communique"
    local_news = "local_news"
    armed_group_statement = "armed_group_statement"
    analysis = "analysis"


class Factuality(StrEnum):
    asserted = "asserted"
    reported = "reported"
    hypothetical = "hypothetical"
    negated = "negated"
    planned = "planned"


class Qualifier(StrEnum):
    exact = "exact"
    approximate = "approximate"
    at_least = "at_least"
    more_than = "more_than"
    at_most = "at_most"
    less_than = "less_than"
    range = "range"
    vague = "vague"


class NumberKind(StrEnum):
    event_count = "event_count"
    date = "date"
    duration = "duration"
    distance = "distance"
    money = "money"
    age = "age"
    percentage = "percentage"
    ordinal = "ordinal"
    identifier = "identifier"
    other = "other"


class CountedClass(StrEnum):
    combatants = "combatants"
    civilians = "civilians"
    people = "people"  # people whose status (civilian or combatant) the text leaves open
    places = "places"
    structures = "structures"
    vehicles = "vehicles"
    weapons = "weapons"
    munitions = "munitions"
    households = "households"
    supplies = "supplies"
    other = "other"


class Scope(StrEnum):
    incident = "incident"
    cumulative = "cumulative"
    period = "period"


class RelationType(StrEnum):
    part_of = "part_of"
    restates = "restates"
    conflicts_with = "conflicts_with"


class TimeType(StrEnum):
    date = "date"
    duration = "duration"


class Precision(StrEnum):
    day = "day"
    week = "week"
    month = "month"
    year = "year"


class TimeMod(StrEnum):
    approx = "approx"
    before = "before"
    after = "after"
    start = "start"
    mid = "mid"
    end = "end"


class Span(_Model):
    """A contiguous stretch of `Document.text`: `text == document.text[start:end]`."""

    start: int = Field(ge=0, description="Start offset (inclusive), in code points.")
    end: int = Field(ge=0, description="End offset (exclusive), in code points.")
    text: str = Field(min_length=1, description="The covered text, checked against the document.")

    @model_validator(mode="after")
    def _ordered(self) -> Span:
        if self.end <= self.start:
            raise ValueError(f"end ({self.end}) must be greater than start ({self.start})")
        if self.end - self.start != len(self.text):
            raise ValueError(
                f"span length {self.end - self.start} differs from len(text)={len(self.text)}"
            )
        return self


class Argument(Span):
    """An argument of an event mention: a span filling one of the type's roles."""

    role: str = Field(description="Argument role allowed for the event type by the ontology.")


class ImplicitCount(_Model):
    """A count of an event's participants given without a numeral ("a soldier was killed")."""

    role: str = Field(description="The role counted (one of the type's countable roles).")
    counted_class: CountedClass = Field(description="What kind of entity is counted.")
    value: int = Field(ge=1, description="The count implied by the text.")
    scope: Scope = Field(default=Scope.incident, description="incident, cumulative or period.")


class EventMention(_Model):
    """One mention of an event: trigger, type, arguments, factuality, source, time, coreference."""

    id: Id = Field(description="Mention id, unique in the document (e.g. e1).")
    type: str = Field(description="Event type from the ontology (e.g. DESERTION).")
    trigger: Span = Field(description="Minimal word or phrase that names the event.")
    arguments: list[Argument] = Field(default_factory=list, description="Role-labelled spans.")
    factuality: Factuality = Field(default=Factuality.asserted)
    source: Span | None = Field(
        default=None, description="Who claims it (\"opposition sources\"); null: the writer."
    )
    time: Id | None = Field(default=None, description="Id of the time expression it happened at.")
    coref: Id = Field(description="Event cluster id: mentions of one real event share it.")
    implicit_counts: list[ImplicitCount] = Field(default_factory=list)


class NumberMention(_Model):
    """A number expression, normalised, and for event counts linked to what it counts."""

    id: Id = Field(description="Number id, unique in the document (e.g. n1).")
    span: Span = Field(description="The number with adjacent qualifier words (\"at least 10\").")
    value: float = Field(description="Best point value (conservative, ACLED-style, for vague).")
    lower: float | None = Field(default=None, description="Lower bound; null when unbounded.")
    lower_inclusive: bool = Field(default=True)
    upper: float | None = Field(default=None, description="Upper bound; null when unbounded.")
    upper_inclusive: bool = Field(default=True)
    qualifier: Qualifier
    kind: NumberKind
    unit: str | None = Field(default=None, description="Unit for money/distance (USD, km, ...).")
    event: Id | None = Field(default=None, description="Event mention counted (event_count).")
    counted_role: str | None = Field(default=None, description="Role of that event counted.")
    counted_class: CountedClass | None = Field(default=None)
    scope: Scope | None = Field(default=None, description="incident, cumulative or period.")


class TimeExpression(_Model):
    """A time expression normalised to ISO 8601 against the dateline (TIMEX3-style)."""

    id: Id
    span: Span
    type: TimeType = Field(default=TimeType.date)
    value: str = Field(description="ISO 8601: 2023-11-12, 2023-W46, 2023-10, 2021, P20D.")
    precision: Precision | None = Field(default=None, description="For dates: day..year.")
    mod: TimeMod | None = Field(default=None, description="TIMEX3-style modifier.")


class NumberRelation(_Model):
    """part_of: `source` is a part of `target`; restates / conflicts_with are symmetric."""

    type: RelationType
    source: Id
    target: Id


class Dateline(_Model):
    place: str | None = None
    date: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$", description="ISO date of the dateline.")


class SourceRef(_Model):
    """Where the text of a document that is not redistributed can be found."""

    publisher: str
    title: str | None = None
    url: str | None = None
    date: str | None = None
    file: str | None = Field(default=None, description="File name `tally hydrate` looks for.")


class Provenance(_Model):
    """How the document was made."""

    method: str = Field(description="written_for_tally | real_article | ...")
    writer: str | None = Field(default=None, description="Who or what wrote the text.")
    annotator: str | None = Field(default=None, description="Who or what annotated it.")
    created: str | None = Field(default=None, description="ISO date the document was made.")
    notes: str | None = None
    source: SourceRef | None = Field(default=None, description="For real articles.")


class Prediction(_Model):
    """A system's output for one document (a submission line). Text is never needed."""

    format_version: str = Field(default=FORMAT_VERSION)
    id: Id
    text: str | None = Field(default=None, description="Optional; checked against gold if given.")
    events: list[EventMention] = Field(default_factory=list)
    numbers: list[NumberMention] = Field(default_factory=list)
    times: list[TimeExpression] = Field(default_factory=list)
    relations: list[NumberRelation] = Field(default_factory=list)


class Document(_Model):
    """One annotated article: text (or its hash, when not redistributable) plus standoff layers."""

    format_version: str = Field(default=FORMAT_VERSION)
    id: Id
    headline: Span = Field(description="The headline's span; headlines are annotated like body.")
    dateline: Dateline
    text: str | None = Field(default=None, description="The article; null until hydrated.")
    text_sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="SHA-256 of UTF-8 text.")
    genre: Genre
    country: str
    region: str | None = None
    conflict: str = Field(description="The conflict the story belongs to (for OOD splits).")
    story: str = Field(description="Story cluster: documents on the same incident share it.")
    unseen_conflict: bool = Field(default=False, description="Test docs of conflicts not in train.")
    license: str
    provenance: Provenance
    events: list[EventMention] = Field(default_factory=list)
    numbers: list[NumberMention] = Field(default_factory=list)
    times: list[TimeExpression] = Field(default_factory=list)
    relations: list[NumberRelation] = Field(default_factory=list)

    @property
    def title(self) -> str:
        return self.headline.text

    @property
    def hydrated(self) -> bool:
        return self.text is not None
