"""Copying media from fake Telegram and Zalo servers: hashes, size caps, expired and odd links."""

from __future__ import annotations

import hashlib
import io
import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from PIL import ExifTags, Image
from telegram import Bot
from telegram.request import HTTPXRequest

from bot.events import ChatRef, Media, Person
from bot.evidence import EvidenceFetcher, FetchProblem
from bot.telegram.client import make_bot
from domain.evidence import StoredFile
from tests.fakes import FakeTelegram, FakeZalo
from tests.fakes.telegram_api import GET_ME

Handler = Callable[[httpx.Request], Coroutine[None, None, httpx.Response]]
Platforms = tuple[FakeTelegram, FakeZalo]
LAN = Person("770001", "Lan Nguyễn", None)


def media(
    file_ref: str, kind: str = "photo", channel: str = "telegram", *, size: int | None = None
) -> Media:
    """A Media event from Lan's private chat."""
    return Media(
        chat=ChatRef(channel, LAN.user_id, "private"),
        sender=LAN,
        message_id="1",
        sent_at=datetime(2026, 11, 21, 22, 30, tzinfo=UTC),
        kind=kind,
        file_ref=file_ref,
        size=size,
    )


def photo_with_gps() -> bytes:
    """A JPEG whose EXIF puts it at 10°46'N 106°42'E (Hồ Chí Minh City)."""
    exif = Image.Exif()
    exif[ExifTags.IFD.GPSInfo] = {1: "N", 2: (10.0, 46.0, 0.0), 3: "E", 4: (106.0, 42.0, 0.0)}
    out = io.BytesIO()
    Image.new("RGB", (16, 16), "blue").save(out, "JPEG", exif=exif)
    return out.getvalue()


def mock_client(handler: Handler, seen: list[httpx.Request]) -> httpx.AsyncClient:
    """An httpx client answered by handler, recording each request it sends."""

    async def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return await handler(request)

    return httpx.AsyncClient(transport=httpx.MockTransport(record))


async def fetch_url(
    media_dir: Path, answer: Handler, url: str, seen: list[httpx.Request], cap: int = 20 << 20
) -> StoredFile | FetchProblem:
    """Fetch a Zalo media URL through an httpx client whose requests `answer` answers."""
    async with mock_client(answer, seen) as http:
        fetcher = EvidenceFetcher(media_dir=media_dir, telegram_bot=None, http=http, max_bytes=cap)
        return await fetcher.fetch("zalo", media(url, channel="zalo"))


async def test_fetch_telegram_photo_stored_with_its_sha256(
    platforms: Platforms, tmp_path: Path
) -> None:
    telegram, _ = platforms
    data = photo_with_gps()
    telegram.add_file("AgACAgUAAxkBAAIB", data, "photos/file_7.jpg")

    async with make_bot(token=telegram.token, api_url=telegram.url) as bot:
        fetcher = EvidenceFetcher(media_dir=tmp_path, telegram_bot=bot)
        stored = await fetcher.fetch("telegram", media("AgACAgUAAxkBAAIB"))

    assert isinstance(stored, StoredFile)
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert (stored.size, stored.mime_type) == (len(data), "image/jpeg")
    assert (tmp_path / stored.path).read_bytes() == data
    assert (stored.latitude, stored.longitude) == pytest.approx((10 + 46 / 60, 106.7))


async def test_fetch_telegram_too_large_by_getfile_without_downloading(
    platforms: Platforms, tmp_path: Path
) -> None:
    telegram, _ = platforms
    telegram.add_file("BQACAgUAAxkBAAIC", bytes(5000), "documents/file_8.mp4")
    downloads: list[httpx.Request] = []

    async def never(request: httpx.Request) -> httpx.Response:
        return httpx.Response(500)

    async with (
        make_bot(token=telegram.token, api_url=telegram.url) as bot,
        mock_client(never, downloads) as http,
    ):
        fetcher = EvidenceFetcher(media_dir=tmp_path, telegram_bot=bot, http=http, max_bytes=4096)
        problem = await fetcher.fetch("telegram", media("BQACAgUAAxkBAAIC", "video"))

    assert problem == FetchProblem("too_large", "5000 bytes by getFile")
    assert (len(telegram.sent("getFile")), downloads, list(tmp_path.iterdir())) == (1, [], [])


@pytest.mark.parametrize(
    ("channel", "event", "reason"),
    [
        ("telegram", media("CAACAgIAAxkBAAIE", "sticker"), "unsupported"),
        ("telegram", media("BQACAgUAAxkBAAIF", "document", size=4097), "too_large"),
        ("signal", media("AgAD", channel="signal"), "unsupported"),
    ],
)
async def test_fetch_refuses_before_asking_the_platform(
    platforms: Platforms, tmp_path: Path, channel: str, event: Media, reason: str
) -> None:
    telegram, _ = platforms
    async with make_bot(token=telegram.token, api_url=telegram.url) as bot:
        fetcher = EvidenceFetcher(media_dir=tmp_path, telegram_bot=bot, max_bytes=4096)
        problem = await fetcher.fetch(channel, event)

    assert isinstance(problem, FetchProblem) and problem.reason == reason
    assert telegram.sent("getFile") == []


async def test_fetch_telegram_refusal_too_big_is_too_large(tmp_path: Path) -> None:
    async def telegram_api(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/getMe"):
            return httpx.Response(200, json={"ok": True, "result": GET_ME})
        body = {"ok": False, "error_code": 400, "description": "Bad Request: file is too big"}
        return httpx.Response(400, json=body)

    transport = httpx.MockTransport(telegram_api)
    calls, polls = (HTTPXRequest(httpx_kwargs={"transport": transport}) for _ in range(2))
    bot = Bot("123:SECRET", base_url="http://x/bot", request=calls, get_updates_request=polls)

    async with bot:
        fetcher = EvidenceFetcher(media_dir=tmp_path, telegram_bot=bot)
        problem = await fetcher.fetch("telegram", media("BAACAgUAAxkBAAID", "video"))

    assert problem == FetchProblem("too_large", "getFile: File is too big")


async def test_fetch_telegram_unknown_file_id_is_a_problem_without_the_token(
    platforms: Platforms, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    telegram, _ = platforms
    caplog.set_level(logging.DEBUG, logger="bot.evidence")

    async with make_bot(token=telegram.token, api_url=telegram.url) as bot:
        fetcher = EvidenceFetcher(media_dir=tmp_path, telegram_bot=bot)
        problem = await fetcher.fetch("telegram", media("no-such-file"))

    assert isinstance(problem, FetchProblem) and problem.reason == "expired"
    logged = [r.getMessage() for r in caplog.records if r.name == "bot.evidence"]
    assert len(logged) == 1 and "reason=expired" in logged[0]
    assert telegram.token not in repr(problem) + logged[0]


@pytest.mark.parametrize(("failures", "stored"), [(1, True), (2, False)])
async def test_fetch_telegram_retries_a_network_error_once(
    platforms: Platforms, tmp_path: Path, failures: int, stored: bool
) -> None:
    telegram, _ = platforms
    telegram.add_file("AgAD-retry", b"%PDF-1.7 trang 1", "documents/file_9.pdf")
    async with make_bot(token=telegram.token, api_url=telegram.url) as bot:
        # The fake closes the connection without answering: a network error, not an HTTP one.
        telegram.fail_next(None, "timeout", times=failures, delay=0.05)
        fetcher = EvidenceFetcher(media_dir=tmp_path, telegram_bot=bot)
        result = await fetcher.fetch("telegram", media("AgAD-retry", "document"))

    assert isinstance(result, StoredFile) is stored
    assert len([c for c in telegram.calls if c.method == "getFile"]) == 2
    if not stored:
        assert result == FetchProblem("unavailable", "getFile: NetworkError")


async def test_fetch_zalo_url_stored_with_its_type(platforms: Platforms, tmp_path: Path) -> None:
    _, zalo = platforms
    data = b"\x89PNG\r\n\x1a\n" + bytes(100)
    url = zalo.add_media("a1b2c3.png", data, "image/png")

    async with httpx.AsyncClient() as http:
        fetcher = EvidenceFetcher(media_dir=tmp_path, telegram_bot=None, http=http)
        stored = await fetcher.fetch("zalo", media(url, channel="zalo"))

    assert isinstance(stored, StoredFile)
    assert (stored.sha256, stored.mime_type) == (hashlib.sha256(data).hexdigest(), "image/png")
    assert (tmp_path / stored.path).read_bytes() == data


async def test_fetch_zalo_missing_url_is_expired(platforms: Platforms, tmp_path: Path) -> None:
    _, zalo = platforms
    fetcher = EvidenceFetcher(media_dir=tmp_path, telegram_bot=None)

    problem = await fetcher.fetch("zalo", media(f"{zalo.url}/media/gone.jpg", channel="zalo"))

    assert problem == FetchProblem("expired", "HTTP 404")


@pytest.mark.parametrize(
    "url",
    ["file:///etc/passwd", "ftp://photo.zdn.vn/a.jpg", "javascript:alert(1)", "photo.jpg", ""],
)
async def test_fetch_zalo_refuses_non_http_urls(tmp_path: Path, url: str) -> None:
    requests: list[httpx.Request] = []

    async def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b"data")

    problem = await fetch_url(tmp_path, answer, url, requests)

    assert isinstance(problem, FetchProblem) and problem.reason == "unsupported"
    assert requests == []


async def test_fetch_zalo_too_large_by_content_length(platforms: Platforms, tmp_path: Path) -> None:
    _, zalo = platforms
    url = zalo.add_media("big.mp4", bytes(5000), "video/mp4")

    fetcher = EvidenceFetcher(media_dir=tmp_path, telegram_bot=None, max_bytes=4096)
    problem = await fetcher.fetch("zalo", media(url, "video", channel="zalo"))

    assert isinstance(problem, FetchProblem) and problem.reason == "too_large"
    assert list(tmp_path.iterdir()) == []


async def test_fetch_zalo_stream_without_length_cut_at_cap(tmp_path: Path) -> None:
    pulled: list[int] = []

    class Endless(httpx.AsyncByteStream):
        async def __aiter__(self) -> AsyncIterator[bytes]:
            while True:
                pulled.append(1024)
                yield bytes(1024)

    async def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, stream=Endless(), headers={"content-type": "video/mp4"})

    problem = await fetch_url(tmp_path, answer, "https://video.zdn.vn/v.mp4", [], cap=10_000)

    assert isinstance(problem, FetchProblem) and problem.reason == "too_large"
    assert sum(pulled) == 10 * 1024  # stopped at the first chunk past the cap
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("locations", "outcome"),
    [
        (["/1", "https://cdn.zdn.vn/2", "/3"], "stored"),
        (["/1", "/2", "/3", "/4"], "too many redirects"),
        (["file:///etc/passwd"], "not an http(s) URL"),
    ],
)
async def test_fetch_zalo_follows_up_to_three_http_redirects(
    tmp_path: Path, locations: list[str], outcome: str
) -> None:
    requests: list[httpx.Request] = []

    async def answer(request: httpx.Request) -> httpx.Response:
        if len(requests) <= len(locations):
            return httpx.Response(302, headers={"location": locations[len(requests) - 1]})
        return httpx.Response(200, content=b"GIF89a\x01\x00")

    result = await fetch_url(tmp_path, answer, "https://photo.zdn.vn/0", requests)

    assert ("stored" if isinstance(result, StoredFile) else result.detail) == outcome


@pytest.mark.parametrize(("failures", "stored"), [(1, True), (2, False)])
async def test_fetch_zalo_retries_a_network_error_once(
    tmp_path: Path, failures: int, stored: bool
) -> None:
    requests: list[httpx.Request] = []

    async def answer(request: httpx.Request) -> httpx.Response:
        if len(requests) <= failures:
            raise httpx.ConnectError("connection refused", request=request)
        return httpx.Response(200, content=b"OggS voice")

    result = await fetch_url(tmp_path, answer, "https://voice.zdn.vn/v.ogg", requests)

    assert isinstance(result, StoredFile) is stored
    assert len(requests) == 2
    if not stored:
        assert result == FetchProblem("unavailable", "ConnectError")
