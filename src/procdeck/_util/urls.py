"""URLs made safe to show (no password) and to link to (no ``javascript:``)."""

from __future__ import annotations

import re
from collections.abc import Collection
from urllib.parse import urlsplit

__all__ = ["LINK_SCHEMES", "MASK", "WEB_SCHEMES", "mask_url", "safe_href"]

MASK = "****"
WEB_SCHEMES = frozenset({"http", "https"})
LINK_SCHEMES = WEB_SCHEMES | {"mailto"}

# "//user:password@" up to the last "@" before the path, for text urlsplit refuses
_PASSWORD = re.compile(r"(//[^/?#@:]*:)[^/?#]*@")


def mask_url(url: object) -> str:
    """``url`` (a string, or anything whose ``str`` is a URL) with its password as ``****``.

    Everything else stays as written: the user name, the host (``[::1]`` keeps its
    brackets), the port, the path, the query and the fragment.
    """
    text = str(url)
    try:
        parts = urlsplit(text)
        password = parts.password
    except ValueError:  # e.g. an unbalanced "[" in the host: mask what looks like one
        return _PASSWORD.sub(rf"\g<1>{MASK}@", text, count=1)
    if password is None:
        return text
    userinfo, _, host = parts.netloc.rpartition("@")
    user = userinfo.split(":", 1)[0]
    return parts._replace(netloc=f"{user}:{MASK}@{host}").geturl()


def safe_href(href: object, schemes: Collection[str] = WEB_SCHEMES) -> str | None:
    """``href`` without surrounding blanks when a page may link to it, else ``None``.

    A safe link is absolute, its scheme (compared case-insensitively) is one of
    ``schemes`` (lower case), and it names something: a host for ``http``/``https``
    (``https:x`` and ``https://`` are refused), some text after the colon for other
    schemes such as ``mailto``. Relative links and ``javascript:`` are always refused.
    """
    if not isinstance(href, str):
        return None
    candidate = href.strip()
    try:
        parts = urlsplit(candidate)
    except ValueError:  # e.g. an unbalanced "[" in the host
        return None
    scheme = parts.scheme.lower()
    if not scheme or scheme not in schemes:
        return None
    if scheme in WEB_SCHEMES:
        return candidate if parts.netloc else None
    return candidate if parts.netloc or parts.path else None
