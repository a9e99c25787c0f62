"""Sign in and sign out."""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from healthscore.auth import User, allowed, authenticate
from healthscore.auth.users import session_epoch
from healthscore.store import Store
from healthscore.web.deps import BadCsrf, optional_user, signer_of
from healthscore.web.security import Session
from healthscore.web.store_access import get_store
from healthscore.web.templating import render

router = APIRouter(include_in_schema=False)  # pages, not API


def safe_next(target: str | None) -> str:
    """Only a path on this site (no scheme, no host): never an open redirect."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


def _home(user: User, target: str) -> str:
    """Where to go after signing in: the page asked for, or the first page the role reads
    (the product role starts on the feedback page, not the portfolio it may not see)."""
    if target == "/" and not allowed(user.role, "read"):
        return "/feedback"
    return target


@router.get("/login")
def login_page(request: Request, next: str = "/", store: Store = Depends(get_store)) -> Response:
    user = optional_user(request, store)
    if user is not None:
        return RedirectResponse(_home(user, safe_next(next)), status_code=303)
    return render(request, "login.html", {"next": safe_next(next), "error": None}, user=None)


@router.post("/login")
def login(
    request: Request,
    username: str = Form(""),
    password: str = Form(""),
    next: str = Form("/"),
    csrf_token: str = Form(""),
    store: Store = Depends(get_store),
) -> Response:
    signer = signer_of(request)
    if not signer.csrf_ok(request, csrf_token):
        raise BadCsrf("the sign-in form expired; reload the page and sign in again")
    limiter = request.app.state.login_limiter
    address = request.client.host if request.client else "unknown"
    name = username.strip().lower()
    wait = limiter.retry_after(name, address)
    if wait:
        return render(
            request,
            "login.html",
            {
                "next": safe_next(next),
                "error": f"Too many failed sign-ins; try again in {wait} seconds.",
                "username": username,
            },
            user=None,
            status_code=429,
        )
    user = authenticate(store, name, password)
    if user is None:
        limiter.failed(name, address)
        return render(
            request,
            "login.html",
            {
                "next": safe_next(next),
                "error": "Wrong username or password (or the user is disabled).",
                "username": username,
            },
            user=None,
            status_code=401,
        )
    limiter.succeeded(name, address)
    response = RedirectResponse(_home(user, safe_next(next)), status_code=303)
    epoch = session_epoch(store, user.username) or 0
    signer.start_session(request, response, Session(user.username, epoch))
    return response


@router.post("/logout")
def logout(request: Request, csrf_token: str = Form("")) -> Response:
    signer = signer_of(request)
    if not signer.csrf_ok(request, csrf_token):
        raise BadCsrf("the sign-out form expired; reload the page and try again")
    response = RedirectResponse("/login", status_code=303)
    signer.end_session(response)
    return response
