"""Likely duplicates of a new report among open reports nearby, and their trace in the timeline.

A suggestion is shown, then accepted (the officer marks the duplicate it named) or rejected
(the officer says it is another event, or marks a duplicate of another report). Each step is
an event of the new report's timeline, so the thresholds can be tuned from real use.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

from sqlmodel import Session, col, select

from core.settings import Settings
from domain.areas.models import Area, AreaKind
from domain.areas.service import ancestors, subtree
from domain.reports.models import Category, Report, ReportEvent, Status
from domain.reports.service import get_report, record_event
from domain.reports.similar import Likeness, Rules, Told, metres_between, most_alike, related

SHOWN = "duplicate_suggested"
ACCEPTED = "suggestion_accepted"
REJECTED = "suggestion_rejected"
# Enough candidates for any real burst; the oldest beyond it are too far back to matter.
CANDIDATES = 500


@dataclass(frozen=True)
class Suggestion:
    """Another report that the new one likely repeats, and why."""

    other: Report
    likeness: Likeness


def rules_from(settings: Settings) -> Rules:
    """The similarity thresholds of the settings."""
    return Rules(
        within=settings.duplicate_within,
        metres=settings.duplicate_metres,
        ward_km=settings.duplicate_ward_km,
        min_score=settings.duplicate_min_score,
    )


def ward_of(session: Session, *, area_id: int | None) -> Area | None:
    """The ward an area lies in (itself when it is one); None above ward level."""
    area = session.get(Area, area_id) if area_id is not None else None
    if area is None:
        return None
    wards = [a for a in ancestors(session, area=area) if a.kind == AreaKind.WARD.value]
    return wards[-1] if wards else None


def neighbour_wards(session: Session, *, ward: Area, km: float) -> list[Area]:
    """The ward and the wards whose centres lie within `km` of its centre."""
    if ward.lat is None or ward.lon is None or km <= 0:
        return [ward]
    # A box first, so that the index-free scan stays small; the distance decides.
    dlat = km / 111.0
    dlon = km / (111.0 * max(0.1, math.cos(math.radians(ward.lat))))
    near = session.exec(
        select(Area).where(
            col(Area.kind) == AreaKind.WARD.value,
            col(Area.lat).between(ward.lat - dlat, ward.lat + dlat),
            col(Area.lon).between(ward.lon - dlon, ward.lon + dlon),
        )
    ).all()
    found = [
        a
        for a in near
        if a.lat is not None
        and a.lon is not None
        and metres_between(ward.lat, ward.lon, a.lat, a.lon) <= km * 1000
    ]
    return found if any(a.id == ward.id for a in found) else [ward, *found]


def told(session: Session, report: Report, *, wards: dict[int | None, Area | None]) -> Told:
    """What the similarity rules read of a report; `wards` remembers each area's ward."""
    assert report.id is not None
    if report.area_id not in wards:
        wards[report.area_id] = ward_of(session, area_id=report.area_id)
    ward = wards[report.area_id]
    return Told(
        id=report.id,
        code=report.code,
        category=report.category,
        created_at=report.created_at,
        text=report.text,
        ward_id=ward.id if ward else None,
        ward_lat=ward.lat if ward else None,
        ward_lon=ward.lon if ward else None,
        latitude=report.latitude,
        longitude=report.longitude,
    )


def find_duplicate(session: Session, *, report: Report, settings: Settings) -> Suggestion | None:
    """The open report filed shortly before this one that most likely tells the same event.

    Only reports of a related category, in the report's ward or a neighbouring one, are read.
    """
    rules = rules_from(settings)
    wards: dict[int | None, Area | None] = {}
    new = told(session, report, wards=wards)
    ward = wards[report.area_id]
    if ward is None or ward.id is None:
        return None  # adjacency needs a ward: a report above ward level matches nothing
    nearby = [w.id for w in neighbour_wards(session, ward=ward, km=rules.ward_km) if w.id]
    categories = [c.value for c in Category if related(report.category, c.value)]
    query = (
        select(Report)
        .where(
            col(Report.id) != report.id,
            col(Report.status).in_([Status.NEW.value, Status.IN_PROGRESS.value]),
            col(Report.category).in_(categories),
            col(Report.area_id).in_(select(subtree(*nearby).c.id)),
            col(Report.created_at) >= report.created_at - rules.within,
            col(Report.created_at) <= report.created_at,
        )
        .order_by(col(Report.created_at).desc())
        .limit(CANDIDATES)
    )
    others = list(session.exec(query))
    if not others:
        return None
    best = most_alike(new, [told(session, o, wards=wards) for o in others], rules=rules)
    if best is None:
        return None
    other = next(o for o in others if o.id == best[0].id)
    return Suggestion(other=other, likeness=best[1])


def record_shown(session: Session, *, report: Report, suggestion: Suggestion) -> None:
    """Write to the timeline that the card suggested this duplicate."""
    found = suggestion.likeness
    details = {"other": suggestion.other.code, "score": found.score, "metres": found.metres}
    record_event(session, report=report, kind=SHOWN, actor="system", chat=None, details=details)


def shown_suggestion(session: Session, *, report: Report) -> tuple[Report, Likeness] | None:
    """The suggestion the report's card shows: the last one shown and not yet answered."""
    events = session.exec(
        select(ReportEvent)
        .where(
            col(ReportEvent.report_id) == report.id,
            col(ReportEvent.kind).in_([SHOWN, ACCEPTED, REJECTED]),
        )
        .order_by(col(ReportEvent.id).desc())
        .limit(1)
    ).first()
    if events is None or events.kind != SHOWN:
        return None
    details = json.loads(events.details)
    other = get_report(session, code=str(details.get("other", "")))
    if other is None:
        return None
    minutes = int(abs(report.created_at - other.created_at).total_seconds() // 60)
    metres = details.get("metres")
    return other, Likeness(
        score=float(details.get("score", 0)),
        minutes=minutes,
        metres=None if metres is None else int(metres),
    )


def record_answer(
    session: Session, *, report: Report, accepted: bool, actor: str, chat: str | None
) -> bool:
    """Write that an officer accepted or rejected the shown suggestion; False if none was shown."""
    shown = shown_suggestion(session, report=report)
    if shown is None:
        return False
    record_event(
        session,
        report=report,
        kind=ACCEPTED if accepted else REJECTED,
        actor=actor,
        chat=chat,
        details={"other": shown[0].code},
    )
    return True
