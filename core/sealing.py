"""Sealing identities with TINBAO_SECRET_KEY: Fernet for the identity, HMAC to find a person."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken


class Sealer:
    """Encrypts and decrypts identities, and derives lookup keys, from one secret."""

    def __init__(self, secret: bytes) -> None:
        # Separate keys for separate jobs, both derived from the one configured secret.
        encryption = hashlib.sha256(b"tinbao/identity/v1\x00" + secret).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(encryption))
        self._lookup = hashlib.sha256(b"tinbao/lookup/v1\x00" + secret).digest()

    def user_key(self, channel: str, user_id: str) -> str:
        """A stable keyed hash of a platform user id: finds the person, reveals nothing."""
        return hmac.new(self._lookup, f"{channel}:{user_id}".encode(), hashlib.sha256).hexdigest()

    def sign(self, text: str) -> str:
        """A short signature of a text, for links only its intended person can use."""
        digest = hmac.new(self._lookup, f"sign:{text}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:12]).decode().rstrip("=")

    def verify(self, text: str, signature: str) -> bool:
        """Whether the signature is this text's, compared in constant time."""
        return hmac.compare_digest(self.sign(text), signature)

    def seal(self, identity: dict[str, Any]) -> bytes:
        """Encrypt an identity (platform id, name, username...)."""
        return self._fernet.encrypt(json.dumps(identity, ensure_ascii=False).encode())

    def open(self, sealed: bytes) -> dict[str, Any]:
        """Decrypt an identity; raise ValueError when the key does not fit."""
        try:
            data = json.loads(self._fernet.decrypt(sealed))
        except InvalidToken:
            raise ValueError("identity sealed with another TINBAO_SECRET_KEY") from None
        return data if isinstance(data, dict) else {}
