"""Report cards in triage chats: posted once, then edited in place (Telegram) or followed by a
short note of each change (Zalo, whose messages have no buttons and cannot be edited)."""

from __future__ import annotations

from collections.abc import Callable

from babel.dates import format_datetime
from sqlmodel import Session, col, select

from bot.reporting.choices import CATEGORY_LABELS
from core.db import utcnow
from core.i18n import N_, gettext_for
from core.media_links import media_link
from core.sealing import Sealer
from core.settings import Settings
from domain.chats.models import Channel, Chat, has_buttons
from domain.outbox.messages import Button, MessageKind, Outgoing
from domain.outbox.models import OutboxMessage
from domain.outbox.service import enqueue
from domain.people.service import identity_of
from domain.reports.models import Report, Status
from domain.reports.routing import area_path
from domain.reports.service import evidence_of
from domain.reports.similar import Likeness
from domain.reports.suggestions import shown_suggestion
from domain.reports.triage import OPEN

# What officers read of a status on a card.
CARD_STATUS: dict[str, str] = {
    Status.NEW: N_("New, nobody has taken it yet"),
    Status.IN_PROGRESS: N_("Being handled by {officer}"),
    Status.RESOLVED: N_("Resolved"),
    Status.REJECTED: N_("Rejected"),
    Status.DUPLICATE: N_("Duplicate of {other}"),
}
STATUS_MARK = {
    Status.NEW: "🆕",
    Status.IN_PROGRESS: "🔵",
    Status.RESOLVED: "✅",
    Status.REJECTED: "⛔",
    Status.DUPLICATE: "🔁",
}
# A card is one message: the resident's text is cut so that the card fits Telegram's 4,096.
TEXT_ROOM = 3000
PHOTOS_ON_CARD = 5


def card_ref(code: str) -> str:
    """The outbox ref of a report's card: later edits find the card's message through it."""
    return f"card:{code}"


def card_text(session: Session, *, report: Report, settings: Settings, sealer: Sealer) -> str:
    """The card: code, category, urgency, status, area, time, place, evidence, reporter, text."""
    _ = gettext_for(settings.locale)
    status = Status(report.status)
    header = _("Report {code} · {category}").format(
        code=report.code, category=_(CATEGORY_LABELS[report.category])
    )
    lines = [f"{STATUS_MARK[status]} {header}"]
    if report.urgent:
        lines.append("🚨 " + _("URGENT"))
    lines.append(_("Status: {status}").format(status=status_words(session, report, _)))
    suggested = suggestion_on_card(session, report=report)
    if suggested is not None:
        lines.append("🔁 " + maybe_same_words(suggested[0].code, suggested[1], _))
    place = area_path(session, area_id=report.area_id) or _("area not given")
    lines.append(_("Area: {place}").format(place=place))
    when = report.occurred_at or report.created_at
    shown = format_datetime(when, "HH:mm dd/MM/yyyy", tzinfo=settings.zone, locale=settings.locale)
    lines.append(
        _("When: {when}").format(when=shown)
        + (f" ({report.occurred_text})" if report.occurred_text else "")
    )
    if report.latitude is not None and report.longitude is not None:
        lines.append(
            _("Location: {lat:.5f}, {lon:.5f}").format(lat=report.latitude, lon=report.longitude)
        )
    evidence = evidence_of(session, report=report)
    if evidence:
        lines.append(_("Evidence: {count} file(s) kept for the police").format(count=len(evidence)))
    lines.append(
        _("Reporter: {who}").format(
            who=reporter_shown(session, report=report, settings=settings, sealer=sealer)
        )
    )
    if report.outcome and status in (Status.RESOLVED, Status.REJECTED):
        label = _("Outcome: {text}") if status == Status.RESOLVED else _("Reason: {text}")
        lines.append(label.format(text=report.outcome))
    text = report.text or "—"
    if len(text) > TEXT_ROOM:
        text = text[:TEXT_ROOM].rstrip() + " …"
    lines += ["", text]
    return "\n".join(lines)


def status_words(session: Session, report: Report, _: Callable[[str], str]) -> str:
    """The report's status as officers read it, with who handles it or what it repeats."""
    other = session.get(Report, report.duplicate_of_id) if report.duplicate_of_id else None
    return _(CARD_STATUS[report.status]).format(
        officer=report.claimed_by_name or _("an officer"),
        other=other.code if other else "?",
    )


def suggestion_on_card(session: Session, *, report: Report) -> tuple[Report, Likeness] | None:
    """The likely duplicate a card names: only while both reports are open."""
    if Status(report.status) not in OPEN:
        return None
    shown = shown_suggestion(session, report=report)
    if shown is None or Status(shown[0].status) not in OPEN:
        return None
    return shown


def maybe_same_words(code: str, likeness: Likeness, _: Callable[[str], str]) -> str:
    """ "Maybe the same as K7QX2M (3 min earlier, 120 m away)"."""
    if likeness.metres is None:
        return _("Maybe the same as {code} ({minutes} min earlier)").format(
            code=code, minutes=likeness.minutes
        )
    return _("Maybe the same as {code} ({minutes} min earlier, {metres} m away)").format(
        code=code, minutes=likeness.minutes, metres=likeness.metres
    )


def reporter_shown(session: Session, *, report: Report, settings: Settings, sealer: Sealer) -> str:
    """ "Anonymous", or the reporter's name when they agreed to give it."""
    _ = gettext_for(settings.locale)
    if report.anonymous or report.reporter_id is None:
        return _("Anonymous")
    identity = identity_of(session, sealer=sealer, person_id=report.reporter_id)
    name = identity.get("name") or _("a resident")
    username = identity.get("username")
    return f"{name} (@{username})" if username else str(name)


def card_buttons(
    report: Report, settings: Settings, *, suggested: str | None = None
) -> tuple[tuple[Button, ...], ...]:
    """The moves the report's status allows, as buttons; their data names only move and code.

    With a suggested duplicate, a first row marks it in one tap, or says it is another event.
    """
    _ = gettext_for(settings.locale)

    def button(label: str, move: str) -> Button:
        return Button(label=_(label), data=f"t:{move}:{report.code}")

    status = Status(report.status)
    if suggested is not None and status in OPEN:
        same = (
            Button(
                label=_("🔁 Same as {code}").format(code=suggested),
                data=f"t:same:{report.code}:{suggested}",
            ),
            button(N_("✗ Not the same"), "notsame"),
        )
        return (same, *card_buttons(report, settings))
    if status == Status.NEW:
        return (
            (button(N_("✋ Claim"), "claim"), button(N_("💬 Ask reporter"), "ask")),
            (
                button(N_("↪ Transfer"), "transfer"),
                button(N_("🔁 Duplicate"), "duplicate"),
                button(N_("⛔ Reject"), "reject"),
            ),
        )
    if status == Status.IN_PROGRESS:
        return (
            (button(N_("✅ Resolve"), "resolve"), button(N_("💬 Ask reporter"), "ask")),
            (
                button(N_("↩ Unclaim"), "unclaim"),
                button(N_("↪ Transfer"), "transfer"),
                button(N_("🔁 Duplicate"), "duplicate"),
                button(N_("⛔ Reject"), "reject"),
            ),
        )
    return ((button(N_("🔓 Reopen"), "reopen"),),)


def buttons_for(
    session: Session, *, report: Report, settings: Settings
) -> tuple[tuple[Button, ...], ...]:
    """The card's buttons, with the suggested duplicate's when the card names one."""
    suggested = suggestion_on_card(session, report=report)
    return card_buttons(report, settings, suggested=suggested[0].code if suggested else None)


def post_card(
    session: Session, *, report: Report, chat: Chat, settings: Settings, sealer: Sealer
) -> None:
    """Send the report's card to a triage chat, with buttons, photos and place where it can."""
    telegram = has_buttons(chat.channel)
    enqueue(
        session,
        channel=chat.channel,
        chat_id=chat.chat_id,
        message=Outgoing(
            text=card_text(session, report=report, settings=settings, sealer=sealer),
            buttons=buttons_for(session, report=report, settings=settings) if telegram else (),
        ),
        ref=card_ref(report.code),
    )
    photos = [
        e for e in evidence_of(session, report=report) if (e.mime_type or "").startswith("image/")
    ]
    for photo in photos[:PHOTOS_ON_CARD]:
        send_photo(
            session,
            chat=chat,
            path=photo.path,
            caption=report.code,
            settings=settings,
            sealer=sealer,
        )
    if telegram and report.latitude is not None and report.longitude is not None:
        enqueue(
            session,
            channel=chat.channel,
            chat_id=chat.chat_id,
            message=Outgoing(extra={"latitude": report.latitude, "longitude": report.longitude}),
            kind=MessageKind.LOCATION,
            ref=f"report:{report.code}",
        )


def send_photo(
    session: Session,
    *,
    chat: Chat,
    path: str,
    caption: str,
    settings: Settings,
    sealer: Sealer,
) -> bool:
    """Show a kept photo in a chat: uploaded on Telegram, by a signed link on Zalo.

    False when the chat cannot be shown it: Zalo without TINBAO_PUBLIC_URL takes no upload.
    """
    if chat.channel in (Channel.TELEGRAM.value, Channel.PLAYGROUND.value):  # a local file
        extra = {"path": str((settings.media_dir / path).resolve())}
    elif chat.channel == Channel.ZALO.value and (
        link := media_link(settings, sealer, path=path, now=utcnow())
    ):
        extra = {"url": link}
    else:
        return False
    enqueue(
        session,
        channel=chat.channel,
        chat_id=chat.chat_id,
        message=Outgoing(text=caption, extra=extra),
        kind=MessageKind.PHOTO,
        ref=f"report:{caption}",
    )
    return True


def chats_with_card(session: Session, *, report: Report) -> list[tuple[str, str]]:
    """Every (channel, chat id) a card of the report was written to, oldest first."""
    rows = session.exec(
        select(col(OutboxMessage.channel), col(OutboxMessage.chat_id))
        .where(
            col(OutboxMessage.ref) == card_ref(report.code),
            col(OutboxMessage.kind) == MessageKind.TEXT.value,
        )
        .order_by(col(OutboxMessage.id))
    ).all()
    return list(dict.fromkeys((channel, chat_id) for channel, chat_id in rows))


def refresh_cards(
    session: Session,
    *,
    report: Report,
    settings: Settings,
    sealer: Sealer,
    change: str,
    acting: Chat | None,
    live_chat: Chat | None,
) -> None:
    """Bring every card of the report up to date after a change.

    On Telegram the card is edited in place (pending edits of one card coalesce), with buttons
    only in the chat that now covers the report. On Zalo each card's chat gets `change`, a short
    note naming the code; the acting chat gets it too, as the answer to the officer.
    """
    text = card_text(session, report=report, settings=settings, sealer=sealer)
    for channel, chat_id in chats_with_card(session, report=report):
        if has_buttons(channel):
            live = live_chat is not None and (live_chat.channel, live_chat.chat_id) == (
                channel,
                chat_id,
            )
            enqueue(
                session,
                channel=channel,
                chat_id=chat_id,
                message=Outgoing(
                    text=text,
                    buttons=buttons_for(session, report=report, settings=settings) if live else (),
                    edit_of=card_ref(report.code),
                ),
                kind=MessageKind.EDIT_TEXT,
                ref=card_ref(report.code),
                coalesce_key=f"card:{channel}:{chat_id}:{report.code}",
            )
        elif change and (acting is None or (acting.channel, acting.chat_id) != (channel, chat_id)):
            enqueue(session, channel=channel, chat_id=chat_id, message=Outgoing(text=change))
