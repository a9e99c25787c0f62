"""Sessions, CSRF tokens and the login rate limit.

* A session is a signed cookie (itsdangerous, the store's own key) holding the username
  and the user's session epoch; HttpOnly, SameSite=Lax, and Secure when the request came
  over https (behind a TLS proxy: run uvicorn with ``--proxy-headers``).  Raising the
  epoch (password reset, disable, role change) voids every cookie issued before.
* CSRF: every visitor gets a random nonce in its own HttpOnly cookie; a form carries the
  nonce signed with the key (``csrf_token``), htmx sends it as ``X-CSRF-Token``.  Every
  unsafe request must carry a token matching its cookie (the double-submit pattern, with
  a signed token so a planted cookie alone is useless).  A login renews the nonce.
* Login attempts: at most `LOGIN_LIMIT` failures per (username, client address) in a
  sliding minute, and 4x that per address, then 429 until the window passes.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass

from fastapi import Request, Response
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

__all__ = [
    "CSRF_COOKIE",
    "LOGIN_LIMIT",
    "SESSION_COOKIE",
    "LoginLimiter",
    "Session",
    "Signer",
]

SESSION_COOKIE = "hs_session"
CSRF_COOKIE = "hs_csrf"
SESSION_MAX_AGE = 12 * 3600  # a working day and some; then sign in again
LOGIN_LIMIT = 5
LOGIN_WINDOW = 60.0


@dataclass(frozen=True)
class Session:
    username: str
    epoch: int


class Signer:
    """Signs and checks session cookies and CSRF tokens with one secret."""

    def __init__(self, secret: str) -> None:
        self._session = URLSafeTimedSerializer(secret, salt="healthscore.session")
        self._csrf = URLSafeTimedSerializer(secret, salt="healthscore.csrf")

    # -- sessions ----------------------------------------------------------------------

    def session(self, request: Request) -> Session | None:
        raw = request.cookies.get(SESSION_COOKIE)
        if not raw:
            return None
        try:
            data = self._session.loads(raw, max_age=SESSION_MAX_AGE)
        except (BadSignature, SignatureExpired):
            return None
        if not isinstance(data, dict) or not isinstance(data.get("u"), str):
            return None
        return Session(data["u"], int(data.get("e", 0)))

    def start_session(self, request: Request, response: Response, session: Session) -> None:
        value = self._session.dumps({"u": session.username, "e": session.epoch})
        _set(request, response, SESSION_COOKIE, value, SESSION_MAX_AGE)
        # A fresh CSRF nonce: a token learnt before signing in is useless after.
        _set(request, response, CSRF_COOKIE, secrets.token_urlsafe(24), None)

    def end_session(self, response: Response) -> None:
        response.delete_cookie(SESSION_COOKIE, path="/")
        response.delete_cookie(CSRF_COOKIE, path="/")

    # -- CSRF --------------------------------------------------------------------------

    def csrf_nonce(self, request: Request) -> str:
        """This visitor's nonce (a new one, set on the response later, when it has none)."""
        nonce = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "new_csrf", None)
        if not nonce:
            nonce = secrets.token_urlsafe(24)
            request.state.new_csrf = nonce
        return nonce

    def csrf_token(self, request: Request) -> str:
        return self._csrf.dumps(self.csrf_nonce(request))

    def csrf_ok(self, request: Request, token: str | None) -> bool:
        nonce = request.cookies.get(CSRF_COOKIE)
        if not token or not nonce:
            return False
        try:
            signed = self._csrf.loads(token, max_age=SESSION_MAX_AGE)
        except (BadSignature, SignatureExpired):
            return False
        return isinstance(signed, str) and secrets.compare_digest(signed, nonce)

    def set_new_nonce(self, request: Request, response: Response) -> None:
        """Set the nonce made during this request (if any) as the visitor's cookie."""
        nonce = getattr(request.state, "new_csrf", None)
        if nonce and CSRF_COOKIE not in request.cookies:
            _set(request, response, CSRF_COOKIE, nonce, None)


def _set(request: Request, response: Response, name: str, value: str, max_age: int | None) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )


class LoginLimiter:
    """Failed sign-ins per (username, address) and per address, in a sliding window."""

    def __init__(
        self, limit: int = LOGIN_LIMIT, window: float = LOGIN_WINDOW, clock=time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._fails: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, str]) -> deque[float]:
        q = self._fails.setdefault(key, deque())
        cutoff = self._clock() - self.window
        while q and q[0] < cutoff:
            q.popleft()
        return q

    def retry_after(self, username: str, address: str) -> int:
        """Seconds until a sign-in may be tried again (0: now)."""
        with self._lock:
            pair = self._recent((username.lower(), address))
            per_ip = self._recent(("", address))
            waits = []
            if len(pair) >= self.limit:
                waits.append(pair[-self.limit] + self.window - self._clock())
            if len(per_ip) >= 4 * self.limit:
                waits.append(per_ip[-4 * self.limit] + self.window - self._clock())
            return max(1, int(max(waits)) + 1) if waits else 0

    def failed(self, username: str, address: str) -> None:
        now = self._clock()
        with self._lock:
            self._recent((username.lower(), address)).append(now)
            self._recent(("", address)).append(now)

    def succeeded(self, username: str, address: str) -> None:
        with self._lock:
            self._fails.pop((username.lower(), address), None)
