"""Signed links to kept photos: they open one file until they expire, and nothing else."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from core.db import utcnow
from core.media_links import LINK_LIFETIME, media_link
from core.sealing import Sealer
from domain.evidence import store_bytes
from tests.harness import make_settings, serving

PHOTO = b"\xff\xd8\xff\xe0" + b"bien-so-xe" * 100
PUBLIC = "https://tinbao.example.vn"


def local(link: str) -> str:
    """The link as our own server is asked for it: its path and query."""
    parts = urlsplit(link)
    assert f"{parts.scheme}://{parts.netloc}" == PUBLIC
    return f"{parts.path}?{parts.query}"


async def test_a_link_opens_its_photo_until_it_expires(database_url: str, tmp_path: Path) -> None:
    settings = make_settings(database_url, tmp_path, public_url=PUBLIC)
    stored = store_bytes(settings.media_dir, PHOTO, mime_type="image/jpeg", file_name=None)
    async with serving(settings) as running:
        sealer = running.service.sealer
        fresh = media_link(settings, sealer, path=stored.path, now=utcnow())
        old = media_link(settings, sealer, path=stored.path, now=utcnow() - LINK_LIFETIME * 2)
        assert fresh is not None and old is not None
        response = await running.client.get(local(fresh))
        assert response.status_code == 200
        assert response.content == PHOTO
        assert response.headers["content-type"] == "image/jpeg"
        assert (await running.client.get(local(old))).status_code == 404
        forged = local(fresh).replace("sig=", "sig=A")
        assert (await running.client.get(forged)).status_code == 404
        unsigned = local(fresh).split("?")[0]
        assert (await running.client.get(unsigned)).status_code in (404, 422)


async def test_a_signature_opens_nothing_outside_the_media_folder(
    database_url: str, tmp_path: Path
) -> None:
    settings = make_settings(database_url, tmp_path, public_url=PUBLIC)
    secret = tmp_path / "tinbao.key.copy"
    secret.write_text("not for the public")
    async with serving(settings) as running:
        sealer: Sealer = running.service.sealer
        expires = int((utcnow() + timedelta(hours=1)).timestamp())
        for path in ("../tinbao.key.copy", "%2e%2e/tinbao.key.copy", "media/../../x"):
            signature = sealer.sign(f"media:{path}:{expires}")
            response = await running.client.get(
                f"/media/{path}", params={"exp": expires, "sig": signature}
            )
            assert response.status_code == 404
            assert "not for the public" not in response.text


def test_no_public_url_means_no_links(tmp_path: Path) -> None:
    settings = make_settings("sqlite://", tmp_path)
    sealer = Sealer(b"test-secret-key-0123456789")
    assert media_link(settings, sealer, path="ab/cd/x.jpg", now=utcnow()) is None
