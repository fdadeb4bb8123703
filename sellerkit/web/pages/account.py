"""Signing in and out, and changing one's password."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Form, Request
from starlette.responses import Response

from sellerkit.accounts.passwords import PASSWORD_MAX, PASSWORD_MIN, passwords
from sellerkit.errors import Invalid
from sellerkit.kit.http import client_address
from sellerkit.web.page import CurrentUser, page_router, public, redirect, render, service, web_session

router = page_router()

Field = Annotated[str, Form(max_length=PASSWORD_MAX + 64)]


def _safe_next(target: str | None) -> str:
    """Only a path of this site: never an open redirect to another host."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    parts = urlsplit(target)
    return "/" if parts.scheme or parts.netloc else target


def _sign_in_page(request: Request, status: int = 200, error: str | None = None, email: str = "",
                  next_: str = "/") -> Response:
    expired = request.query_params.get("expired") == "1"
    return render(request, "sign_in.html", {"title": "Sign in", "error": error, "email": email,
                                            "next": _safe_next(next_), "expired": expired},
                  status_code=status)


@router.get("/sign-in")
@public
async def sign_in_form(request: Request, next: str = "/"):
    if request.state.web_user is not None:
        return redirect(request, _safe_next(next))
    return _sign_in_page(request, next_=next)


@router.post("/sign-in")
@public
async def sign_in(request: Request, email: Field, password: Field, next: Annotated[str, Form()] = "/"):
    wait = request.app.state.sign_in_throttle.attempt(client_address(request), email)
    if wait:
        return _sign_in_page(request, 429, f"Too many sign-in attempts: try again in {int(wait) + 1} seconds.",
                             email, next)
    user = await service(request, lambda s: passwords.verify(s, email, password), write=True)
    if user is None:
        return _sign_in_page(request, 401, "That email and password do not match a user.", email, next)
    web_session(request).sign_in(user.user_id, user.version)
    return redirect(request, _safe_next(next))


@router.post("/sign-out")
async def sign_out(request: Request, user: CurrentUser):
    web_session(request).sign_out()
    return redirect(request, "/sign-in", "You are signed out.")


@router.get("/password")
async def password_form(request: Request, user: CurrentUser):
    return render(request, "password.html", {"title": "Change password", "minimum": PASSWORD_MIN})


@router.post("/password")
async def change_password(request: Request, user: CurrentUser, current_password: Field, new_password: Field,
                          repeat_password: Field):
    if new_password != repeat_password:
        error = "repeat_password: the two new passwords differ"
    else:
        try:
            changed = await service(request, lambda s: passwords.change(s, user.user_id, current_password,
                                                                        new_password), write=True)
        except Invalid as exc:
            error = exc.message
        else:
            web_session(request).sign_in(changed.user_id, changed.version)  # this session stays signed in
            return redirect(request, "/", "Your password is changed; other sessions are signed out.")
    return render(request, "password.html", {"title": "Change password", "minimum": PASSWORD_MIN,
                                             "error": error}, status_code=400)
