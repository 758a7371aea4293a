"""A thin async client of the Zalo OA Open API: consultation texts and the token pair behind them."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any

import httpx

from core.db import Database, utcnow
from core.oa_tokens import OaTokens, load_tokens, save_tokens
from core.sealing import Sealer

log = logging.getLogger(__name__)

MAX_TEXT = 2000
REFRESH_AHEAD = timedelta(minutes=5)
DEFAULT_LIFETIME = 3600  # seconds, when Zalo's expires_in is missing or unreadable
# A send answered with these has met a revoked or expired access token: refresh, try again.
TOKEN_REFUSED = frozenset({-216, -220})
RATE_LIMITED = -32  # the application's requests a minute are spent; Zalo says not when


class ZaloOaApiError(Exception):
    """Zalo's non-zero `error` (often with HTTP 200), or the HTTP status when there is none."""

    def __init__(self, code: int, message: str, *, status: int = 200) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


class ZaloOaAuthError(ZaloOaApiError):
    """The OAuth server refused to refresh the token pair: nothing can be sent until it does."""


class ZaloOaNetworkError(Exception):
    """The call got no usable answer: refused, reset, timed out, or not JSON."""


class ZaloOaClient:
    """Sends consultation texts as the OA, refreshing its single-use token pair as it goes."""

    def __init__(
        self,
        *,
        app_id: str,
        app_secret: str,
        initial_refresh_token: str,
        api_url: str,
        oauth_url: str,
        db: Database,
        sealer: Sealer,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self._app_id = app_id
        self._app_secret = app_secret
        self._configured_refresh = initial_refresh_token
        self._configured_refused = False
        self._api_url = api_url.rstrip("/")
        self._oauth_url = f"{oauth_url.rstrip('/')}/v4/oa/access_token"
        self._db = db
        self._sealer = sealer
        self._http = http or httpx.AsyncClient(
            timeout=20.0, limits=httpx.Limits(max_connections=64, max_keepalive_connections=32)
        )
        self._tokens: OaTokens | None = None
        self._unsaved = False  # a pair Zalo issued that the database does not hold yet
        self._lock = asyncio.Lock()

    async def send_text(self, *, user_id: str, text: str) -> str:
        """Send a text (at most 2,000 characters) to a person; return Zalo's message id."""
        if len(text) > MAX_TEXT:
            raise ValueError(f"a Zalo OA text holds at most {MAX_TEXT} characters")
        payload = {"recipient": {"user_id": user_id}, "message": {"text": text}}
        data = await self.call("POST", "/v3.0/oa/message/cs", json=payload)
        message_id = data.get("message_id")
        return str(message_id) if message_id is not None else ""

    async def call(self, method: str, path: str, **request: Any) -> dict[str, Any]:
        """One OA API call with a fresh token (refreshed once if refused); its `data`."""
        token = await self.access_token()
        try:
            return await self._call(token, method, path, request)
        except ZaloOaApiError as error:
            if error.code not in TOKEN_REFUSED:
                raise
            log.info("Zalo OA refused the access token (%s); refreshing once", error.code)
            return await self._call(await self._renew(stale=token), method, path, request)

    async def access_token(self) -> str:
        """A usable access token, refreshed first when missing or expiring within 5 minutes."""
        async with self._lock:
            if self._unsaved or not _fresh(self._tokens):
                await self._renew_locked(stale=None)
            assert self._tokens is not None
            return self._tokens.access_token

    async def close(self) -> None:
        """Close the connections."""
        await self._http.aclose()

    async def _renew(self, *, stale: str) -> str:
        async with self._lock:
            await self._renew_locked(stale=stale)
            assert self._tokens is not None
            return self._tokens.access_token

    async def _renew_locked(self, *, stale: str | None) -> None:
        """Have a fresh pair in memory and in the database; `stale` is a token Zalo refused."""
        if self._unsaved:  # persisted before any use: its refresh token is the only live one
            await self._persist()
        if _usable(self._tokens, stale):
            return
        # The database is the truth: another process may have refreshed since we last looked.
        stored = await asyncio.to_thread(self._load)
        if _usable(stored, stale):
            self._tokens = stored
            return
        latest = stored or self._tokens
        await self._refresh(latest.refresh_token if latest is not None else None)

    async def _refresh(self, held: str | None) -> None:
        """Trade the newest refresh token for a new pair, and commit the pair."""
        configured = self._configured_refresh
        try:
            answer = await self._oauth(held or configured)
        except ZaloOaAuthError:
            # An operator who re-authorizes sets a new configured token: the stored chain is
            # dead then, so the configured token gets one try (per process) in its place.
            if held is None or held == configured or self._configured_refused:
                raise
            log.warning("Zalo OA refused the stored refresh token; trying the configured one")
            try:
                answer = await self._oauth(configured)
            except ZaloOaAuthError:
                self._configured_refused = True
                raise
        self._tokens = answer
        self._unsaved = True
        await self._persist()
        log.info("refreshed the Zalo OA token pair; valid until %s", answer.expires_at)

    async def _persist(self) -> None:
        """Commit the pair before its access token is used: its refresh token works only once."""
        tokens = self._tokens
        assert tokens is not None
        try:
            await asyncio.to_thread(self._save, tokens)
        except Exception:
            log.error("could not store the new Zalo OA token pair; will try again before sending")
            raise
        self._unsaved = False

    async def _oauth(self, refresh_token: str) -> OaTokens:
        form = {
            "app_id": self._app_id,
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
        }
        body = await self._request(
            "POST",
            self._oauth_url,
            "token refresh",
            data=form,
            headers={"secret_key": self._app_secret},
        )
        access, refresh = body.get("access_token"), body.get("refresh_token")
        error = body.get("error")
        refused = body.get("error_name") or (isinstance(error, int) and error != 0)
        if refused or not isinstance(access, str) or not isinstance(refresh, str):
            # OAuth failures come with HTTP 200, described by error_name/_reason/_description.
            words = [body.get(k) for k in ("error_name", "error_reason", "error_description")]
            message = "; ".join(str(w) for w in words if w) or "no token pair in the answer"
            code = error if isinstance(error, int) else 0
            raise ZaloOaAuthError(code, self._scrub(message, refresh_token))
        return OaTokens(
            app_id=self._app_id,
            access_token=access,
            refresh_token=refresh,
            expires_at=utcnow() + timedelta(seconds=_seconds(body.get("expires_in"))),
        )

    async def _call(
        self, token: str, method: str, path: str, request: dict[str, Any]
    ) -> dict[str, Any]:
        what = "send" if method == "POST" else "read"
        url = self._api_url + path
        body = await self._request(method, url, what, headers={"access_token": token}, **request)
        error = body.get("error")
        if isinstance(error, int) and error != 0:
            message = str(body.get("message") or "refused")
            raise ZaloOaApiError(error, self._scrub(message, token))
        data = body.get("data")
        return data if isinstance(data, dict) else {}

    async def _request(self, method: str, url: str, what: str, **request: Any) -> dict[str, Any]:
        """Call and return the JSON object; HTTP and network failures raise (without secrets)."""
        try:
            response = await self._http.request(method, url, **request)
        except httpx.HTTPError as error:
            raise ZaloOaNetworkError(f"{type(error).__name__} during the {what}") from None
        try:
            body = response.json()
        except ValueError:
            body = None
        status = response.status_code
        described = isinstance(body, dict) and bool(body.get("error") or body.get("error_name"))
        if status >= 500 or (status >= 400 and not described):
            raise ZaloOaApiError(status, f"HTTP {status} during the {what}", status=status)
        if not isinstance(body, dict):
            raise ZaloOaNetworkError(f"an answer that is not a JSON object during the {what}")
        return body

    def _scrub(self, text: str, *extra: str) -> str:
        """The text without the app secret or any token we hold, whatever Zalo echoed back."""
        held = [self._app_secret, self._configured_refresh, *extra]
        if self._tokens is not None:
            held += [self._tokens.access_token, self._tokens.refresh_token]
        for secret in sorted((s for s in held if len(s) >= 4), key=len, reverse=True):
            text = text.replace(secret, "***")
        return text

    def _load(self) -> OaTokens | None:
        try:
            with self._db.session() as session:
                return load_tokens(session, sealer=self._sealer, app_id=self._app_id)
        except ValueError:
            log.warning("stored Zalo OA tokens were sealed with another TINBAO_SECRET_KEY")
            return None

    def _save(self, tokens: OaTokens) -> None:
        with self._db.session() as session:
            save_tokens(
                session,
                sealer=self._sealer,
                app_id=self._app_id,
                access_token=tokens.access_token,
                refresh_token=tokens.refresh_token,
                expires_at=tokens.expires_at,
            )


def _fresh(tokens: OaTokens | None) -> bool:
    return tokens is not None and tokens.expires_at - REFRESH_AHEAD > utcnow()


def _usable(tokens: OaTokens | None, stale: str | None) -> bool:
    return _fresh(tokens) and tokens is not None and tokens.access_token != stale


def _seconds(value: object) -> int:
    # Zalo sends expires_in as a string of seconds ("90000").
    try:
        seconds = int(str(value))
    except ValueError:
        return DEFAULT_LIFETIME
    return seconds if seconds > 0 else DEFAULT_LIFETIME
