"""CSRF protection for every state-changing form: a per-session token, checked on POST."""

from __future__ import annotations

import hmac
import secrets

from fastapi import Request

from madoguchi.domain.errors import PermissionDeniedError
from madoguchi.i18n.catalogue import N_

SESSION_KEY = "csrf"
FIELD = "csrf_token"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def csrf_token(request: Request) -> str:
    token = request.session.get(SESSION_KEY)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session[SESSION_KEY] = token
    return token


class CsrfError(PermissionDeniedError):
    code = "csrf"


async def verify_csrf(request: Request) -> None:
    """Router dependency: reject unsafe methods without the session's token."""
    if request.method not in UNSAFE:
        return
    expected = request.session.get(SESSION_KEY)
    sent = request.headers.get("x-csrf-token")
    if sent is None:
        form = await request.form()
        value = form.get(FIELD)
        sent = value if isinstance(value, str) else None
    if not isinstance(expected, str) or not sent or not hmac.compare_digest(expected, sent):
        raise CsrfError(N_("the form expired or did not come from this site; reload and try again"))
