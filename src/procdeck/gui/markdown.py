"""Safe Markdown for text that comes from a server (process and input descriptions).

A server's description is untrusted: raw HTML is escaped (never parsed), links
may only point to ``http``, ``https`` or ``mailto`` addresses and open in a new
tab, and images are shown as links, so a description can neither run script nor
make the page load anything from another host. Uses markdown-it-py (a Panel
dependency) with HTML disabled.
"""

from __future__ import annotations

import html
from functools import lru_cache
from typing import Any

from markdown_it import MarkdownIt

from procdeck._util.urls import LINK_SCHEMES
from procdeck._util.urls import safe_href as _safe_href

__all__ = ["SAFE_LINK_SCHEMES", "escape", "render_markdown", "safe_href"]

SAFE_LINK_SCHEMES = LINK_SCHEMES


def escape(text: object) -> str:
    """``text`` as HTML text: ``<``, ``>``, ``&`` and quotes escaped."""
    return html.escape("" if text is None else str(text), quote=True)


def safe_href(href: str | None) -> str | None:
    """``href`` if it is an absolute http(s) or mailto address, else ``None``."""
    return _safe_href(href, SAFE_LINK_SCHEMES)


def _validate_link(url: str) -> bool:
    return safe_href(url) is not None


def _render_link_open(renderer: Any, tokens: list[Any], idx: int, options: Any, env: Any) -> str:
    token = tokens[idx]
    token.attrSet("target", "_blank")
    token.attrSet("rel", "noopener noreferrer nofollow")
    return renderer.renderToken(tokens, idx, options, env)


def _render_image_as_link(
    renderer: Any, tokens: list[Any], idx: int, options: Any, env: Any
) -> str:
    # An <img> would make the browser fetch from the server's host (offline, privacy):
    # show the alt text as a link instead.
    token = tokens[idx]
    src = safe_href(token.attrGet("src"))
    alt = escape(renderer.renderInlineAsText(token.children or [], options, env) or "image")
    if src is None:
        return alt
    return (
        f'<a href="{escape(src)}" target="_blank" rel="noopener noreferrer nofollow">'
        f"{alt}</a>"
    )


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    parser = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    parser.enable("table").enable("strikethrough")
    parser.validateLink = _validate_link  # type: ignore[method-assign]
    parser.add_render_rule("link_open", _render_link_open)
    parser.add_render_rule("image", _render_image_as_link)
    return parser


def render_markdown(text: str | None) -> str:
    """``text`` (Markdown) as HTML that is safe to put into the page.

    Raw HTML in ``text`` comes out escaped, as visible text; only links with a
    safe scheme survive; images become links.
    """
    if not text:
        return ""
    return _parser().render(str(text))
