"""Browser-like HTTP helpers for the live server: sign in, read the CSRF token."""

from __future__ import annotations

import re

import httpx

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def new_client(base_url: str, **kwargs: object) -> httpx.Client:
    return httpx.Client(base_url=base_url, follow_redirects=False, timeout=30, **kwargs)  # type: ignore[arg-type]


def sign_in(client: httpx.Client, email: str, password: str) -> httpx.Response:
    page = client.get("/login")
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": csrf_from(page.text)},
    )


def csrf(client: httpx.Client) -> str:
    return csrf_from(client.get("/account").text if client.cookies else client.get("/login").text)
