"""Evidence files: content-addressed storage, type sniffing, EXIF location and its removal."""

from __future__ import annotations

import hashlib
import io
import struct
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import ExifTags, Image
from PIL.TiffImagePlugin import IFDRational

from domain.evidence import StoredFile, exif_location, store_bytes, without_exif

GPS = ExifTags.GPS
# Hoàn Kiếm Lake, Hà Nội: 21°01'42.0"N 105°51'09.6"E.
HANOI_GPS: dict[int, Any] = {
    GPS.GPSLatitudeRef: "N",
    GPS.GPSLatitude: (21.0, 1.0, 42.0),
    GPS.GPSLongitudeRef: "E",
    GPS.GPSLongitude: (105.0, 51.0, 9.6),
}
HANOI = (21 + 1 / 60 + 42 / 3600, 105 + 51 / 60 + 9.6 / 3600)


def picture(
    gps: dict[int, Any] | None = None,
    *,
    size: tuple[int, int] = (8, 8),
    orientation: int | None = None,
    image_format: str = "JPEG",
    **options: Any,
) -> bytes:
    """A small picture, with GPS and orientation tags in its EXIF when given."""
    exif = Image.Exif()
    if gps is not None:
        exif[ExifTags.IFD.GPSInfo] = gps
    if orientation is not None:
        exif[ExifTags.Base.Orientation] = orientation
    out = io.BytesIO()
    Image.new("RGB", size, "red").save(out, image_format, exif=exif, **options)
    return out.getvalue()


def with_app1(jpeg: bytes, payload: bytes) -> bytes:
    """A JPEG with an extra APP1 (EXIF) segment holding payload, right after its start marker."""
    return jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload + jpeg[2:]


def files_under(root: Path) -> list[Path]:
    """Every file below root, temporary ones included."""
    return sorted(path for path in root.rglob("*") if path.is_file())


def test_store_bytes_names_file_by_its_hash(tmp_path: Path) -> None:
    data = picture()
    digest = hashlib.sha256(data).hexdigest()

    stored = store_bytes(tmp_path, data, mime_type="image/jpeg", file_name=None)

    assert stored == StoredFile(
        f"{digest[:2]}/{digest[2:4]}/{digest}.jpg", len(data), digest, "image/jpeg"
    )
    assert (tmp_path / stored.path).read_bytes() == data
    assert files_under(tmp_path) == [tmp_path / stored.path]


def test_store_bytes_twice_is_a_no_op(tmp_path: Path) -> None:
    data = b"%PDF-1.7 bien ban"
    first = store_bytes(tmp_path, data, mime_type="application/pdf", file_name="bien-ban.pdf")
    written = (tmp_path / first.path).stat()

    second = store_bytes(tmp_path, data, mime_type="application/pdf", file_name="copy.pdf")

    assert second == first
    after = (tmp_path / second.path).stat()
    assert (after.st_ino, after.st_mtime_ns) == (written.st_ino, written.st_mtime_ns)
    assert files_under(tmp_path) == [tmp_path / first.path]


def test_store_bytes_replaces_a_file_of_the_wrong_size(tmp_path: Path) -> None:
    data = b"OggS" + bytes(60)
    stored = store_bytes(tmp_path, data, mime_type="audio/ogg", file_name=None)
    (tmp_path / stored.path).write_bytes(data[:10])

    again = store_bytes(tmp_path, data, mime_type="audio/ogg", file_name=None)

    assert (tmp_path / again.path).read_bytes() == data


@pytest.mark.parametrize(
    ("data", "mime", "extension"),
    [
        (picture(), "image/jpeg", ".jpg"),
        (picture(image_format="PNG"), "image/png", ".png"),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 ", "image/webp", ".webp"),
        (b"GIF89a\x01\x00\x01\x00", "image/gif", ".gif"),
        (b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00", "video/mp4", ".mp4"),
        (b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00", "video/quicktime", ".mov"),
        (b"OggS\x00\x02" + bytes(22) + b"OpusHead", "audio/ogg", ".ogg"),
        (b"ID3\x04\x00\x00\x00\x00\x00\x00", "audio/mpeg", ".mp3"),
        (b"\xff\xfb\x90\x64\x00", "audio/mpeg", ".mp3"),
        (b"%PDF-1.4\n%\xe2\xe3", "application/pdf", ".pdf"),
    ],
)
@pytest.mark.parametrize("declared", [None, "application/octet-stream", ""])
def test_store_bytes_sniffs_type_when_platform_gives_none(
    tmp_path: Path, data: bytes, mime: str, extension: str, declared: str | None
) -> None:
    stored = store_bytes(tmp_path, data, mime_type=declared, file_name=None)

    assert (stored.mime_type, Path(stored.path).suffix) == (mime, extension)


def test_store_bytes_keeps_a_specific_platform_type(tmp_path: Path) -> None:
    stored = store_bytes(tmp_path, b"OggS....", mime_type="Audio/OGG; codecs=opus", file_name=None)

    assert (stored.mime_type, Path(stored.path).suffix) == ("audio/ogg", ".ogg")


def test_store_bytes_adts_audio_is_not_taken_for_mp3(tmp_path: Path) -> None:
    stored = store_bytes(tmp_path, b"\xff\xf1\x50\x80\x00", mime_type=None, file_name=None)

    assert (stored.mime_type, Path(stored.path).suffix) == ("application/octet-stream", ".bin")


@pytest.mark.parametrize(
    ("file_name", "mime", "extension"),
    [
        (
            "Biên bản.DOCX",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            ".docx",
        ),
        ("ghi-chu.txt", "text/plain", ".txt"),
        ("trang.html", "application/octet-stream", ".bin"),
        ("..\\..\\evil.exe", "application/octet-stream", ".bin"),
        (None, "application/octet-stream", ".bin"),
    ],
)
def test_store_bytes_unknown_bytes_take_only_known_extensions_from_name(
    tmp_path: Path, file_name: str | None, mime: str, extension: str
) -> None:
    stored = store_bytes(tmp_path, b"PK\x03\x04 opaque", mime_type=None, file_name=file_name)

    assert (stored.mime_type, Path(stored.path).suffix) == (mime, extension)
    assert (tmp_path / stored.path).parent.parent.parent == tmp_path


def test_store_bytes_records_photo_location(tmp_path: Path) -> None:
    stored = store_bytes(tmp_path, picture(HANOI_GPS), mime_type=None, file_name="IMG_0001.JPG")

    assert (stored.latitude, stored.longitude) == pytest.approx(HANOI)


def test_store_bytes_leaves_location_empty_without_gps(tmp_path: Path) -> None:
    stored = store_bytes(tmp_path, picture(), mime_type="image/jpeg", file_name=None)

    assert (stored.latitude, stored.longitude) == (None, None)


@pytest.mark.parametrize(
    ("refs", "expected"),
    [
        (("N", "E"), (21.028333, 105.852667)),
        (("S", "W"), (-21.028333, -105.852667)),
        (("S", "E"), (-21.028333, 105.852667)),
        ((b"N\x00", b"W\x00"), (21.028333, -105.852667)),
    ],
)
def test_exif_location_reads_hemispheres(
    refs: tuple[str | bytes, str | bytes], expected: tuple[float, float]
) -> None:
    gps = HANOI_GPS | {GPS.GPSLatitudeRef: refs[0], GPS.GPSLongitudeRef: refs[1]}

    assert exif_location(picture(gps)) == pytest.approx(expected, abs=1e-6)


def test_exif_location_reads_png_exif() -> None:
    assert exif_location(picture(HANOI_GPS, image_format="PNG")) == pytest.approx(HANOI)


_BAD_POINTER = b"MM\x00*" + struct.pack(">IHHHII", 8, 1, 0x8825, 4, 1, 0xFFFF0000)


@pytest.mark.parametrize(
    "data",
    [
        picture(),
        picture({GPS.GPSLatitudeRef: "N", GPS.GPSLatitude: (21.0, 1.0, 42.0)}),
        picture(HANOI_GPS | {GPS.GPSLatitudeRef: "X"}),
        picture(HANOI_GPS | {GPS.GPSLatitude: (IFDRational(21, 0), 0.0, 0.0)}),
        picture(HANOI_GPS | {GPS.GPSLongitude: (181.0, 0.0, 0.0)}),
        with_app1(picture(), b"Exif\x00\x00" + b"\x13" * 40),
        with_app1(picture(), b"Exif\x00\x00" + _BAD_POINTER + bytes(4)),
        picture(HANOI_GPS)[:200],
        b"not a picture at all",
        b"",
    ],
    ids=[
        "no-gps", "no-longitude", "bad-ref", "zero-denominator", "out-of-range",
        "garbage-exif", "pointer-out-of-file", "truncated", "not-a-picture", "empty",
    ],
)  # fmt: skip
def test_exif_location_broken_exif_gives_none(data: bytes) -> None:
    assert exif_location(data) is None


@settings(max_examples=200, deadline=None, database=None)
@given(st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), min_size=1, max_size=8))
def test_exif_location_never_raises_on_damaged_photo(damage: list[tuple[int, int]]) -> None:
    data = bytearray(picture(HANOI_GPS))
    for position, value in damage:
        data[position % len(data)] = value

    location = exif_location(bytes(data))

    assert location is None or (abs(location[0]) <= 90 and abs(location[1]) <= 180)


def test_without_exif_strips_gps_and_other_metadata() -> None:
    original = picture(HANOI_GPS, comment=b"Nguyen Van A", xmp=b"<x:xmpmeta>21.02N</x:xmpmeta>")

    cleaned = without_exif(original)

    assert exif_location(cleaned) is None
    with Image.open(io.BytesIO(cleaned)) as image:
        assert image.format == "JPEG"
        assert len(image.getexif()) == 0
        assert not {"exif", "xmp", "comment", "icc_profile"} & image.info.keys()
    assert b"Nguyen Van A" not in cleaned and b"xmpmeta" not in cleaned


def test_without_exif_turns_picture_upright_before_dropping_orientation() -> None:
    rotated = picture(size=(40, 20), orientation=6)  # shown rotated 90° clockwise

    with Image.open(io.BytesIO(without_exif(rotated))) as image:
        assert image.size == (20, 40)


def test_without_exif_strips_png() -> None:
    cleaned = without_exif(picture(HANOI_GPS, image_format="PNG"))

    assert exif_location(cleaned) is None
    with Image.open(io.BytesIO(cleaned)) as image:
        assert image.format == "PNG"
        assert "exif" not in image.info


@pytest.mark.parametrize("data", [b"%PDF-1.4 not a picture", b"", picture()[:100]])
def test_without_exif_refuses_what_it_cannot_re_encode(data: bytes) -> None:
    with pytest.raises(ValueError):
        without_exif(data)
