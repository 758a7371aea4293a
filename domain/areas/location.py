"""The ward of a shared location: the nearest ward centre, and whether another is nearly as near.

No open boundary data exists for the wards of 2025, so a centre is all there is: about four
times in five the nearest centre is the right ward, and when a second centre is nearly as
close the resident is asked which it is.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from sqlmodel import Session

from domain.areas.index import area_index
from domain.areas.models import Area, AreaKind
from domain.areas.resolver import province_ids

EARTH_RADIUS_KM = 6371.0088
# Another centre within this much farther than the nearest (km, or share of the distance,
# whichever is more) makes the nearest only a guess to confirm.
CLOSE_CALL_KM = 0.5
CLOSE_CALL_SHARE = 0.25


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The great-circle distance between two points, in kilometres."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlambda = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def nearest_areas(
    session: Session,
    *,
    lat: float,
    lon: float,
    kinds: tuple[str, ...] = (AreaKind.WARD,),
    within: int | None = None,
    provinces: Sequence[str] = (),
    max_km: float = 50.0,
    count: int = 2,
) -> list[tuple[Area, float]]:
    """The areas whose centres are nearest a point, nearest first, with their distances."""
    index = area_index(session)
    scope = province_ids(index, provinces) if provinces else frozenset()
    distances = []
    for node in index.nodes.values():
        if node.kind not in kinds or node.lat is None or node.lon is None:
            continue
        if within is not None and not index.under(node.id, within):
            continue
        if scope and node.province_id not in scope:
            continue
        distances.append((haversine_km(lat, lon, node.lat, node.lon), node.id))
    found = []
    for km, area_id in sorted(distances)[:count]:
        area = session.get(Area, area_id)
        if area is not None and km <= max_km:
            found.append((area, km))
    return found


def nearest_area(
    session: Session,
    *,
    lat: float,
    lon: float,
    kinds: tuple[str, ...] = (AreaKind.WARD,),
    within: int | None = None,
    max_km: float = 50.0,
) -> tuple[Area, float] | None:
    """The area whose centre is nearest to a point, with the distance, if within max_km."""
    found = nearest_areas(
        session, lat=lat, lon=lon, kinds=kinds, within=within, max_km=max_km, count=1
    )
    return found[0] if found else None


def close_call(found: list[tuple[Area, float]]) -> bool:
    """Whether the second nearest centre is nearly as close as the nearest."""
    if len(found) < 2:
        return False
    (_, first), (_, second) = found[0], found[1]
    return second - first <= max(CLOSE_CALL_KM, CLOSE_CALL_SHARE * first)
