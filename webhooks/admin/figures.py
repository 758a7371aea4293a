"""The reach and effect of a broadcast run, as the admin API shows them."""

from __future__ import annotations

from pydantic import BaseModel

from broadcasts.effect import MIN_REPORTS, WINDOW, Change, Effect
from broadcasts.reach import Reach


class AreaReachOut(BaseModel):
    """The groups of one area that received a run, and the members of those counted."""

    area_code: str
    area_name: str
    groups: int
    members: int
    counted: int


class AreaSubscriptionsOut(BaseModel):
    """How many residents are subscribed to one area's broadcasts."""

    area_code: str
    area_name: str
    subscribers: int


class ReachOut(BaseModel):
    """What a run reached: groups by area, people in them, subscribers, failures by reason."""

    groups: int
    people: int
    counted: int
    subscribers: int
    by_area: list[AreaReachOut]
    subscriptions: list[AreaSubscriptionsOut]
    failures: dict[str, int]


class ChangeOut(BaseModel):
    """Reports in the 14 days before and after a run; percent null when too few to tell."""

    before: int
    after: int
    percent: float | None
    too_few: bool


class EffectOut(BaseModel):
    """Reports of the run's category around it, in its areas and, as a baseline, elsewhere."""

    category: str
    window_days: int
    min_reports: int
    targeted: ChangeOut
    elsewhere: ChangeOut | None
    complete: bool


def reach_out(reach: Reach) -> ReachOut:
    """The API's form of a run's reach."""
    return ReachOut(
        groups=reach.groups,
        people=reach.people,
        counted=reach.counted,
        subscribers=reach.subscribers,
        by_area=[AreaReachOut(**vars(area)) for area in reach.by_area],
        subscriptions=[AreaSubscriptionsOut(**vars(area)) for area in reach.subscriptions],
        failures=reach.failures,
    )


def _change_out(change: Change) -> ChangeOut:
    percent = change.percent
    return ChangeOut(
        before=change.before, after=change.after, percent=percent, too_few=percent is None
    )


def effect_out(effect: Effect | None) -> EffectOut | None:
    """The API's form of a run's effect, if its message has a report category."""
    if effect is None:
        return None
    return EffectOut(
        category=effect.category,
        window_days=WINDOW.days,
        min_reports=MIN_REPORTS,
        targeted=_change_out(effect.targeted),
        elsewhere=_change_out(effect.elsewhere) if effect.elsewhere is not None else None,
        complete=effect.complete,
    )
