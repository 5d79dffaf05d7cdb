"""Protect the web app: CSRF tokens for every form, security headers and a strict Content-Security-Policy.

A browser gets a random id in a SameSite=Lax, HttpOnly cookie (not sent with another site's POST, but kept
when a link from elsewhere opens the app, so open tabs keep working); every form carries an HMAC of it under
the app's secret, and a POST whose token does not match is refused. Pages load only the app's own styles
and scripts; the self-contained HTML memo gets a policy that allows exactly its own inline stylesheet (by
hash) and nothing else.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Sequence
from urllib.parse import urlsplit

COOKIE = "transferlaw_browser"
FIELD = "csrf"
MAX_REQUEST = 1_000_000
"""Bytes: an upload or form larger than this is refused (413)."""

PAGE_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
               "form-action 'self'; frame-src 'self'; frame-ancestors 'none'; base-uri 'none'")
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cache-Control": "no-store",
}
_STYLE = re.compile(r"<style>(.*?)</style>", re.S)


def new_browser_id() -> str:
    return secrets.token_urlsafe(18)


def token(secret: bytes, browser: str) -> str:
    """The CSRF token for forms shown to this browser."""
    return hmac.new(secret, browser.encode("utf-8"), hashlib.sha256).hexdigest()


def valid(secret: bytes, browser: str | None, sent: str | None) -> bool:
    """Whether a POST's token belongs to the browser that sent it."""
    if not browser or not sent:
        return False
    return hmac.compare_digest(token(secret, browser).encode("ascii"), sent.encode("utf-8", "replace"))


def memo_policy(html: str) -> str:
    """The policy for a self-contained memo: its inline stylesheets by hash, nothing else; framed only by the
    app's own pages."""
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(style.encode("utf-8")).digest()).decode("ascii") + "'"
        for style in _STYLE.findall(html))
    return f"default-src 'none'; style-src {hashes or chr(39) + 'none' + chr(39)}; frame-ancestors 'self'; " \
           "base-uri 'none'; form-action 'none'"


def host_allowed(host: str, trusted: Sequence[str]) -> bool:
    """Whether a request's ``host[:port]`` names one of ``trusted`` (an IPv6 address with or without brackets).

    Not werkzeug's ``TRUSTED_HOSTS``: it cuts every name at its first colon, so ``[::1]:8000`` never matches.
    """
    try:
        name = urlsplit(f"//{host}").hostname
    except ValueError:  # e.g. "[::1" or a bad port
        return False
    return name is not None and name in {t.strip("[]").lower() for t in trusted}
