"""Who is in the demo ward: residents, officers, their chats, and the places on the list."""

from __future__ import annotations

from dataclasses import dataclass

WARD = "DEMO-SL-TOHIEU"


@dataclass(frozen=True, slots=True)
class Member:
    """Someone the page lets you speak as."""

    user_id: str
    name: str


@dataclass(frozen=True, slots=True)
class PlaygroundChat:
    """A chat of the page: a resident's private chat with the bot, or a group."""

    chat_id: str
    kind: str  # "private" or "group"
    title: str
    members: tuple[Member, ...]
    area_code: str | None = None
    role: str | None = None  # "triage" or "community" for a linked group


@dataclass(frozen=True, slots=True)
class Place:
    """A demo place a location can be picked from."""

    name: str
    latitude: float
    longitude: float


LAN = Member("lan", "Nguyễn Thị Lan")
HUNG = Member("hung", "Trần Văn Hùng")
MAI = Member("mai", "Lò Thị Mai")
MINH = Member("minh", "Đại úy Phạm Minh")
HA = Member("ha", "Thượng úy Lê Hà")

CHATS: tuple[PlaygroundChat, ...] = (
    PlaygroundChat(LAN.user_id, "private", LAN.name, (LAN,)),
    PlaygroundChat(HUNG.user_id, "private", HUNG.name, (HUNG,)),
    PlaygroundChat(MAI.user_id, "private", MAI.name, (MAI,)),
    PlaygroundChat(
        "group-tdp1",
        "group",
        "An ninh Tổ dân phố 1",
        (LAN, HUNG),
        f"{WARD}-TDP1",
        "community",
    ),
    PlaygroundChat(
        "group-tdp2",
        "group",
        "An ninh Tổ dân phố 2",
        (MAI, HUNG),
        f"{WARD}-TDP2",
        "community",
    ),
    PlaygroundChat(
        "group-police",
        "group",
        "Công an phường Tô Hiệu: tin báo",
        (MINH, HA),
        WARD,
        "triage",
    ),
)

PLACES: tuple[Place, ...] = (
    Place("Chợ Tô Hiệu", 21.3268, 103.9125),
    Place("Trường THCS Chiềng Lề", 21.3281, 103.9117),
    Place("Cầu Trắng, suối Nậm La", 21.3259, 103.9140),
    Place("Bến xe khách Sơn La", 21.3043, 103.9396),
)


def chat_by_id(chat_id: str) -> PlaygroundChat | None:
    """The page's chat with this id, or None."""
    return next((chat for chat in CHATS if chat.chat_id == chat_id), None)
