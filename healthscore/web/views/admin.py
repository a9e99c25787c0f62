"""Admin: users and roles, the audit log, imports and quarantine (`store_status`), and
the API keys when the REST API's key store is installed."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from healthscore.auth import (
    Role,
    User,
    add_user,
    disable_user,
    enable_user,
    generate_password,
    list_audit,
    list_users,
    reset_password,
    set_role,
)
from healthscore.ingest import store_status
from healthscore.store import Store
from healthscore.web.deps import require
from healthscore.web.store_access import get_store
from healthscore.web.templating import render

router = APIRouter(include_in_schema=False)  # pages, not API

AUDIT_PAGE = 50


def _keys(store: Store) -> list[dict[str, object]] | None:
    try:
        from healthscore.auth import keys
    except ModuleNotFoundError:
        return None
    lister = getattr(keys, "list_keys", None)
    if lister is None:
        return None
    out = []
    for k in lister(store):
        out.append(k.as_dict() if hasattr(k, "as_dict") else dict(k.__dict__))
    return out


@router.get("/admin")
def admin_page(
    request: Request,
    page: int = Query(1, ge=1),
    entity: str = "",
    done: str = "",
    user: User = Depends(require("admin")),
    store: Store = Depends(get_store),
) -> Response:
    return _render(request, user, store, page=page, entity=entity, done=done)


def _render(
    request: Request,
    user: User,
    store: Store,
    *,
    page: int = 1,
    entity: str = "",
    done: str = "",
    secret: str = "",
) -> Response:
    """The admin page; a new password (`secret`) is shown in this response only, never in
    an address (it would stay in the browser's history and the server's logs)."""
    audit = list_audit(
        store, limit=AUDIT_PAGE + 1, offset=(page - 1) * AUDIT_PAGE, entity=entity or None
    )
    ctx = {
        "users": list_users(store),
        "roles": [r.value for r in Role],
        "audit": audit[:AUDIT_PAGE],
        "more": len(audit) > AUDIT_PAGE,
        "page": page,
        "entity": entity,
        "status": store_status(store, last_imports=20),
        "keys": _keys(store),
        "done": done,
        "secret": secret,
    }
    return render(request, "admin.html", ctx, user=user, active="admin")


def _done(msg: str) -> Response:
    from urllib.parse import urlencode

    return RedirectResponse(f"/admin?{urlencode({'done': msg})}#users", status_code=303)


@router.post("/admin/users")
def admin_add_user(
    request: Request,
    username: str = Form(...),
    role: str = Form("viewer"),
    display_name: str = Form(""),
    email: str = Form(""),
    user: User = Depends(require("admin")),
    store: Store = Depends(get_store),
) -> Response:
    password = generate_password()
    new = add_user(
        store,
        username,
        password,
        role,
        email=email or None,
        display_name=display_name or None,
        actor=user.username,
    )
    msg = f"added {new.username} ({new.role}); its password is shown once below"
    return _render(request, user, store, done=msg, secret=password)


@router.post("/admin/users/{username}")
def admin_change_user(
    request: Request,
    username: str,
    op: str = Form(...),
    role: str = Form(""),
    user: User = Depends(require("admin")),
    store: Store = Depends(get_store),
) -> Response:
    from healthscore.errors import HealthscoreError

    if username == user.username and op in ("disable", "role"):
        raise HealthscoreError(
            "you cannot disable yourself or change your own role; ask another admin"
        )
    if op == "disable":
        disable_user(store, username, actor=user.username)
        return _done(f"disabled {username}")
    if op == "enable":
        enable_user(store, username, actor=user.username)
        return _done(f"enabled {username}")
    if op == "reset":
        password = reset_password(store, username, actor=user.username)
        msg = f"reset the password of {username}; the new one is shown once below"
        return _render(request, user, store, done=msg, secret=password)
    if op == "role":
        set_role(store, username, role, actor=user.username)
        return _done(f"{username} is now {role}")
    raise HealthscoreError(f"unknown change {op!r}; use disable, enable, reset or role")
