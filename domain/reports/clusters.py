"""Clusters: reports arriving in a burst that likely tell one event, gathered under its first.

A report joins the cluster of the report it likely repeats when that cluster was last added
to shortly before. Two reports are a pair, shown as two cards (the second naming the first);
from the third on, the police see one cluster card instead of a card each.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from domain.reports.models import Evidence, Report, Status

# A burst: each report came at most this long after the cluster's previous one.
BURST_GAP = timedelta(minutes=30)
# From this many members on, a cluster is shown as one card (bot/triage/digest.py).
CLUSTER_CARD_FROM = 3


def root_of(session: Session, report: Report) -> Report:
    """The first report of the report's cluster (the report itself when it has none)."""
    if report.cluster_id is None or report.cluster_id == report.id:
        return report
    return session.get(Report, report.cluster_id) or report


def members_of(session: Session, *, root: Report) -> list[Report]:
    """Every report of the cluster, the first one first."""
    if root.cluster_id is None:
        return [root]
    return list(
        session.exec(
            select(Report)
            .where(col(Report.cluster_id) == root.id)
            .order_by(col(Report.created_at), col(Report.id))
        )
    )


def join_cluster(session: Session, *, report: Report, other: Report) -> Report | None:
    """Put a report into the cluster of the report it likely repeats; the cluster's first.

    None when the cluster's latest report is older than a burst allows.
    """
    root = root_of(session, other)
    latest = session.exec(
        select(func.max(col(Report.created_at))).where(
            (col(Report.cluster_id) == root.id) | (col(Report.id) == root.id)
        )
    ).one()
    if latest is None or report.created_at - latest > BURST_GAP:
        return None
    if root.cluster_id is None:
        root.cluster_id = root.id
        session.add(root)
    report.cluster_id = root.id
    session.add(report)
    session.flush()
    return root


def evidence_count(session: Session, *, reports: list[Report]) -> int:
    """How many files the reports keep, together."""
    ids = [r.id for r in reports]
    query = select(func.count()).select_from(Evidence).where(col(Evidence.report_id).in_(ids))
    return int(session.exec(query).one())


def open_members(session: Session, *, root: Report) -> list[Report]:
    """The cluster's reports still open."""
    return [
        r
        for r in members_of(session, root=root)
        if r.status in (Status.NEW.value, Status.IN_PROGRESS.value)
    ]
