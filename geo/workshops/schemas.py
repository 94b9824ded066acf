"""What the workshops API accepts and returns: a workshop's lifecycle, who came (counts per sector,
never names), barriers, ranked priorities tied to gap-matrix cells, and the action plan. Text is
checked by the directory editor's rules (geo.edits.schemas): no control characters, bounded length."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from geo.edits.schemas import Code, LongText, Name, RecordId

WorkshopStatus = Literal["planned", "held", "plan_adopted", "follow_up"]
STATUS_NAMES: dict[str, str] = {
    "planned": "Workshop planned",
    "held": "Workshop held",
    "plan_adopted": "Action plan adopted",
    "follow_up": "Meeting quarterly",
}
# A workshop has been held once it reaches any status after "planned".
HELD_STATUSES = ("held", "plan_adopted", "follow_up")

Sector = Literal["child-welfare", "courts", "schools", "behavioral-health", "lived-experience", "health-care",
                 "law-enforcement", "housing", "faith-community", "community-organizations", "local-government",
                 "philanthropy", "business", "other"]
SECTOR_NAMES: dict[str, str] = {
    "child-welfare": "Child welfare", "courts": "Courts", "schools": "Schools",
    "behavioral-health": "Behavioral health", "lived-experience": "Families with lived experience",
    "health-care": "Health care", "law-enforcement": "Law enforcement", "housing": "Housing",
    "faith-community": "Faith community", "community-organizations": "Community organizations",
    "local-government": "Local government", "philanthropy": "Philanthropy", "business": "Business",
    "other": "Other",
}

BarrierKind = Literal["transportation", "language", "cost", "waitlists", "eligibility", "awareness", "hours",
                      "trust", "other"]
BARRIER_NAMES: dict[str, str] = {
    "transportation": "Transportation", "language": "Language", "cost": "Cost", "waitlists": "Waitlists",
    "eligibility": "Eligibility rules", "awareness": "Families do not know about it", "hours": "Opening hours",
    "trust": "Trust", "other": "Other",
}

ItemStatus = Literal["open", "in_progress", "done", "dropped"]
ITEM_STATUS_NAMES: dict[str, str] = {"open": "Not started", "in_progress": "In progress", "done": "Done",
                                     "dropped": "Dropped"}
OPEN_ITEM_STATUSES = ("open", "in_progress")

RegionText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=80,
                                              pattern=r"^[A-Za-z]+:[A-Za-z0-9_.-]+$")]
Quarter = Annotated[str, StringConstraints(pattern=r"^[0-9]{4}-Q[1-4]$")]
CountyFips = Annotated[str, StringConstraints(pattern=r"^[0-9]{5}$")]
Participants = Annotated[int, Field(ge=0, le=100_000)]
Id = Annotated[int, Field(ge=1, le=2**62)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WorkshopIn(_Model):
    region: RegionText = Field(description="circuit:MO-16, division:MA-suffolk or county:29095")
    title: Name
    status: WorkshopStatus = "planned"
    planned_on: date | None = None
    held_on: date | None = None
    plan_adopted_on: date | None = None
    next_meeting_on: date | None = None
    sectors: dict[Sector, Participants] = Field(default_factory=dict,
                                                description="People who came, per sector (counts only)")
    notes: LongText = ""
    published: bool = Field(default=False, description="Barriers, priorities and the plan become public reading")


class WorkshopPatch(_Model):
    title: Name | None = None
    status: WorkshopStatus | None = None
    planned_on: date | None = None
    held_on: date | None = None
    plan_adopted_on: date | None = None
    next_meeting_on: date | None = None
    sectors: dict[Sector, Participants] | None = Field(default=None, description="Replaces every sector's count")
    notes: LongText | None = None
    published: bool | None = None


class BarrierIn(_Model):
    kind: BarrierKind
    description: LongText = ""
    category: Code | None = Field(default=None, description="A kind of help, by code or name")
    stage: Code | None = Field(default=None, description="A landscape stage, by code or name")
    counties: list[CountyFips] = Field(default_factory=list, max_length=200,
                                       description="County FIPS codes inside the workshop's region")


class BarrierPatch(_Model):
    kind: BarrierKind | None = None
    description: LongText | None = None
    category: Code | None = None
    stage: Code | None = None
    counties: list[CountyFips] | None = Field(default=None, max_length=200)


class CellRef(_Model):
    category: Code
    stage: Code = Field(default="all", description="A landscape stage, or 'all' (services of any stage)")


class PriorityIn(_Model):
    title: Name
    description: LongText = ""
    rank: Annotated[int, Field(ge=1, le=1000)] | None = Field(default=None, description="1 = first; default: last")
    cells: list[CellRef] = Field(min_length=1, max_length=20,
                                 description="Gap-matrix cells; their figures are frozen as they are now")


class PriorityPatch(_Model):
    title: Name | None = None
    description: LongText | None = None
    rank: Annotated[int, Field(ge=1, le=1000)] | None = None


class ActionItemIn(_Model):
    what: Name
    priority_id: Id | None = None
    lead_organization_id: RecordId | None = Field(default=None, description="An organization in the directory")
    partners: list[Name] = Field(default_factory=list, max_length=50)
    due_on: date | None = None
    status: ItemStatus = "open"


class ActionItemPatch(_Model):
    what: Name | None = None
    priority_id: Id | None = None
    lead_organization_id: RecordId | None = None
    partners: list[Name] | None = Field(default=None, max_length=50)
    due_on: date | None = None
    status: ItemStatus | None = None


class ActionUpdateIn(_Model):
    quarter: Quarter = Field(description="The quarterly meeting, e.g. 2026-Q1")
    body: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
    status: ItemStatus = Field(description="The item's status after this meeting")


# --- what the API returns -------------------------------------------------------------------

class SectorCount(BaseModel):
    sector: str
    name: str
    participants: int


class WorkshopSummary(BaseModel):
    id: int
    region: str
    region_name: str
    state_fips: str | None
    title: str
    status: WorkshopStatus
    status_name: str
    planned_on: date | None
    held_on: date | None
    plan_adopted_on: date | None
    next_meeting_on: date | None
    participants: int
    sectors: list[SectorCount]
    published: bool
    is_sample: bool
    updated_at: datetime


class Barrier(BaseModel):
    id: int
    kind: str
    kind_name: str
    description: str
    category: str | None
    stage: str | None
    counties: list[str]


class GapFigures(BaseModel):
    population_uncovered: float
    share_uncovered: float | None
    services: int
    run_id: int
    finished_at: datetime | None


class PriorityCell(BaseModel):
    category: str
    stage: str
    then: GapFigures
    now: GapFigures | None = Field(description="The newest figures served; null while withheld or not computed")
    now_note: str | None = None


class Priority(BaseModel):
    id: int
    rank: int
    title: str
    description: str
    set_at: datetime
    cells: list[PriorityCell]


class ActionUpdate(BaseModel):
    id: int
    quarter: str
    body: str
    status: ItemStatus
    created_at: datetime


class ActionItem(BaseModel):
    id: int
    priority_id: int | None
    what: str
    lead_organization_id: str | None
    lead_organization: str | None
    partners: list[str]
    due_on: date | None
    status: ItemStatus
    status_name: str
    updates: list[ActionUpdate]


class Workshop(WorkshopSummary):
    notes: str | None = Field(description="Null unless published or the key covers the region")
    barriers: list[Barrier]
    priorities: list[Priority]
    actions: list[ActionItem]
    withheld: bool = Field(description="True when barriers, priorities and the plan are not yet public")


class WorkshopList(BaseModel):
    items: list[WorkshopSummary]


class GapChange(BaseModel):
    priority_id: int
    priority: str
    category: str
    stage: str
    then_population_uncovered: float
    now_population_uncovered: float | None
    change: float | None
    then_services: int
    now_services: int | None
    note: str | None


class Agenda(BaseModel):
    workshop_id: int
    region: str
    meeting_on: date | None
    since: datetime | None = Field(description="When the earliest priority's figures were frozen")
    open_items: list[ActionItem]
    gap_changes: list[GapChange]


class ProgressRegion(BaseModel):
    kind: str
    code: str
    name: str
    status: WorkshopStatus | None = None  # None (left out): no workshop yet
    status_name: str
    workshop_id: int | None = None
    participants: int


class Progress(BaseModel):
    state: str
    region_kind: str
    regions: int
    held: int
    by_status: dict[str, int]
    headline: str
    items: list[ProgressRegion]
