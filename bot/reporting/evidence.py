"""Evidence a resident sends while writing a report: kept in the draft until it is filed."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from bot.events import Location, Media
from bot.turn import Turn
from domain.evidence import StoredFile

MAX_EVIDENCE = 20


def remember_evidence(turn: Turn, data: dict[str, Any]) -> None:
    """Keep a fetched file or a shared location in the draft, and say so."""
    _ = turn._
    event = turn.event
    if isinstance(event, Location):
        data["latitude"], data["longitude"] = event.latitude, event.longitude
        turn.reply(
            _("Location received. Send more, or type \u201cdone\u201d when you are finished.")
        )
        return
    if not isinstance(event, Media):
        return
    stored, problem = turn.facts.evidence, turn.facts.evidence_problem
    if stored is None:
        turn.reply(problem_text(turn, problem))
        return
    items: list[dict[str, Any]] = data.setdefault("evidence", [])
    if len(items) >= MAX_EVIDENCE:
        turn.reply(_("This report already has 20 files, the most it can take."))
        return
    if all(item["sha256"] != stored.sha256 for item in items):
        items.append({"kind": event.kind, "caption": event.caption, **asdict(stored)})
    if event.caption and not data.get("text"):
        data["text"] = event.caption[:4000]
    turn.reply(
        _(
            "Received ({count} so far). Send more, or type \u201cdone\u201d when you are finished."
        ).format(count=len(items))
    )


def stored_files(data: dict[str, Any]) -> list[tuple[str, StoredFile, str | None]]:
    """The draft's evidence, ready to attach to the report."""
    files = []
    for item in data.get("evidence", []):
        fields = {
            k: item[k] for k in ("path", "size", "sha256", "mime_type", "latitude", "longitude")
        }
        files.append((str(item["kind"]), StoredFile(**fields), item.get("caption")))
    return files


def problem_text(turn: Turn, problem: str | None) -> str:
    """Why a file could not be kept, in words the sender understands."""
    _ = turn._
    if problem == "too_large":
        return _(
            "This file is too large for me to keep (the limit is 20 MB). Please send a smaller one."
        )
    if problem == "unsupported":
        return _(
            "Stickers cannot be kept as evidence. Please send a photo, video, voice note or file."
        )
    return _("I could not fetch this file. Please send it again in a moment.")
