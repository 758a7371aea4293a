"""Evidence files on disk: content-addressed copies of residents' media, and their EXIF location."""

from __future__ import annotations

import contextlib
import hashlib
import io
import math
import os
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

__all__ = ["StoredFile", "exif_location", "sniff_mime", "store_bytes", "without_exif"]

GENERIC_MIME = frozenset(
    {"", "application/octet-stream", "binary/octet-stream", "application/binary"}
    | {"application/unknown", "application/x-binary", "application/force-download"}
)
# Names that platforms and phones use besides the registered ones.
_ALIASES = {
    "image/jpg": "image/jpeg",
    "image/pjpeg": "image/jpeg",
    "audio/mp3": "audio/mpeg",
    "audio/x-mp3": "audio/mpeg",
    "audio/opus": "audio/ogg",
    "audio/x-m4a": "audio/mp4",
    "audio/x-wav": "audio/wav",
}
# Only these extensions are ever written: a name taken from a sender (".html", ".exe") could make
# a later viewer open evidence as something it is not.
_EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "image/gif": ".gif",
    "image/heic": ".heic",
    "video/mp4": ".mp4",
    "video/quicktime": ".mov",
    "video/webm": ".webm",
    "video/3gpp": ".3gp",
    "audio/ogg": ".ogg",
    "audio/mpeg": ".mp3",
    "audio/mp4": ".m4a",
    "audio/aac": ".aac",
    "audio/amr": ".amr",
    "audio/wav": ".wav",
    "application/pdf": ".pdf",
    "application/msword": ".doc",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.ms-excel": ".xls",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "text/plain": ".txt",
}
_BY_EXTENSION = {ext: mime for mime, ext in _EXTENSIONS.items()} | {".jpeg": "image/jpeg"}
_HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1")
_STRIPPABLE = {"JPEG": "JPEG", "MPO": "JPEG", "PNG": "PNG", "WEBP": "WEBP"}


@dataclass(frozen=True, slots=True)
class StoredFile:
    """A copy of a media file under the media dir; path is relative, with forward slashes."""

    path: str
    size: int
    sha256: str
    mime_type: str
    latitude: float | None = None
    longitude: float | None = None


def sniff_mime(data: bytes) -> str | None:
    """The type that a file's first bytes announce, or None when they announce none we know."""
    head = data[:64]
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head.startswith(b"RIFF") and head[8:12] in (b"WEBP", b"WAVE"):
        return "image/webp" if head[8:12] == b"WEBP" else "audio/wav"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _HEIF_BRANDS:
            return "image/heic"
        if brand.startswith(b"3gp"):
            return "video/3gpp"
        return {b"qt  ": "video/quicktime", b"M4A ": "audio/mp4"}.get(brand, "video/mp4")
    if head.startswith(b"OggS"):
        return "audio/ogg"  # Telegram's voice notes: Opus in Ogg
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"#!AMR"):
        return "audio/amr"  # Zalo's older voice notes
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "video/webm"
    if head.startswith(b"ID3") or _is_mp3_frame(head):
        return "audio/mpeg"
    return None


def _is_mp3_frame(head: bytes) -> bool:
    # An MPEG audio frame header: 11 sync bits, a version that is not reserved, layer III
    # (AAC's ADTS header has the same sync bits but layer 00).
    if len(head) < 2 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return False
    return (head[1] >> 3) & 0b11 != 0b01 and (head[1] >> 1) & 0b11 == 0b01


def _normal_mime(mime_type: str | None) -> str:
    bare = (mime_type or "").split(";", 1)[0].strip().lower()
    return _ALIASES.get(bare, bare)


def _mime_of(data: bytes, mime_type: str | None, file_name: str | None) -> str:
    declared = _normal_mime(mime_type)
    if declared not in GENERIC_MIME:
        return declared
    if sniffed := sniff_mime(data):
        return sniffed
    suffix = PurePosixPath((file_name or "").replace("\\", "/")).suffix.lower()
    return _BY_EXTENSION.get(suffix, "application/octet-stream")


def store_bytes(
    media_dir: Path, data: bytes, *, mime_type: str | None, file_name: str | None
) -> StoredFile:
    """Write data under `ab/cd/<sha256><ext>` unless it is there already, and describe it."""
    digest = hashlib.sha256(data).hexdigest()
    mime = _mime_of(data, mime_type, file_name)
    relative = f"{digest[:2]}/{digest[2:4]}/{digest}{_EXTENSIONS.get(mime, '.bin')}"
    target = media_dir / relative
    if not (target.is_file() and target.stat().st_size == len(data)):
        _write_atomically(target, data)
    location = exif_location(data) if mime.startswith("image/") else None
    latitude, longitude = location if location is not None else (None, None)
    return StoredFile(relative, len(data), digest, mime, latitude, longitude)


def _write_atomically(target: Path, data: bytes) -> None:
    # A crash leaves either no file or the whole file under the final name, never a torn one;
    # two processes storing the same bytes both replace it with identical content.
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".part-")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    _sync_directory(target.parent)


def _sync_directory(directory: Path) -> None:
    # The rename itself survives power loss only once its directory is synced (POSIX only).
    with contextlib.suppress(OSError, AttributeError):
        descriptor = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def exif_location(data: bytes) -> tuple[float, float] | None:
    """The (latitude, longitude) in a photo's EXIF GPS data, or None; never raises."""
    from PIL import ExifTags, Image  # with the first photo: not in every process's memory

    try:
        with warnings.catch_warnings():
            # Pillow warns about odd EXIF; the values it still reads are checked below.
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(data)) as image:
                gps = image.getexif().get_ifd(ExifTags.IFD.GPSInfo)
        tags = ExifTags.GPS
        latitude = _coordinate(gps.get(tags.GPSLatitude), gps.get(tags.GPSLatitudeRef), "NS", 90)
        longitude = _coordinate(
            gps.get(tags.GPSLongitude), gps.get(tags.GPSLongitudeRef), "EW", 180
        )
    except Exception:  # any damage to the file or its EXIF means no location, not a failure
        return None
    if latitude is None or longitude is None:
        return None
    return latitude, longitude


def _coordinate(parts: object, reference: object, hemispheres: str, limit: float) -> float | None:
    """Degrees from EXIF (degrees, minutes, seconds) rationals and a hemisphere letter."""
    positive, negative = hemispheres[0], hemispheres[1]
    if isinstance(reference, bytes):
        reference = reference.decode("ascii", "replace")
    if not isinstance(reference, str) or not isinstance(parts, tuple) or not parts:
        return None
    hemisphere = reference.strip("\x00 ").upper()
    if hemisphere not in (positive, negative) or len(parts) > 3:
        return None
    values = [float(part) for part in parts]
    if not all(math.isfinite(value) and value >= 0 for value in values):
        return None  # a zero denominator reads as NaN
    degrees = sum(value / 60.0**index for index, value in enumerate(values))
    if degrees > limit:
        return None
    return -degrees if hemisphere == negative else degrees


def without_exif(data: bytes) -> bytes:
    """The picture re-encoded without EXIF, XMP, comments or profiles; ValueError if it cannot be."""
    from PIL import Image, ImageOps  # with the first photo, as in exif_location

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(data)) as opened:
                kind = _STRIPPABLE.get(opened.format or "")
                if kind is None:
                    raise ValueError(f"cannot strip metadata from {opened.format or 'this'} files")
                # Turn the pixels as EXIF says before the orientation tag goes with the rest.
                clean = ImageOps.exif_transpose(opened)  # always a new image
                transparency = clean.info.get("transparency")
        clean.info = {}  # Pillow would otherwise carry the comment and XMP into the new file
        out = io.BytesIO()
        options: dict[str, object] = {"quality": 90} if kind != "PNG" else {}
        if kind == "PNG" and transparency is not None:
            options["transparency"] = transparency
        clean.save(out, kind, **options)
    except ValueError:
        raise
    except Exception as error:
        raise ValueError(f"not a picture that can be re-encoded: {type(error).__name__}") from None
    return out.getvalue()
