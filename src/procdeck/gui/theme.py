"""The app's look: one stylesheet (system fonts, status colours, light and dark) and inline SVG.

No Panel template (they load web fonts) and no ``icon=`` on widgets (an icon
font from a CDN): the page loads nothing from outside the app.

The palette lives in CSS custom properties on the shell (``pd-shell``, plus
``pd-dark`` for the dark theme); custom properties inherit into nested shadow
roots, so every component that gets :func:`stylesheets` sees the same palette,
and Panel's own widgets follow through the ``--design-*`` properties.
"""

from __future__ import annotations

from functools import lru_cache
from importlib.resources import files

__all__ = [
    "DARK",
    "ICONS",
    "LIGHT",
    "PRIMARY_BUTTON_CSS",
    "THEMES",
    "app_css",
    "icon",
    "shell_classes",
    "stylesheets",
]

LIGHT = "light"
DARK = "dark"
THEMES = (LIGHT, DARK)

# Inline SVG (stroke icons drawn for procdeck), coloured with currentColor.
ICONS: dict[str, str] = {
    "logo": (
        '<svg viewBox="0 0 32 32" aria-hidden="true" focusable="false">'
        '<rect x="2" y="2" width="28" height="28" rx="7" fill="#2563eb"/>'
        '<rect x="7" y="8" width="18" height="4" rx="2" fill="#fff"/>'
        '<rect x="7" y="14" width="12" height="4" rx="2" fill="#bfdbfe"/>'
        '<rect x="7" y="20" width="15" height="4" rx="2" fill="#93c5fd"/>'
        "</svg>"
    ),
    "form": (
        '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="1.6" '
        'stroke-linecap="round" stroke-linejoin="round" aria-hidden="true" focusable="false">'
        '<rect x="4" y="3" width="16" height="18" rx="2"/><path d="M8 8h8M8 12h8M8 16h5"/>'
        "</svg>"
    ),
    "offline": (
        '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="1.6" '
        'stroke-linecap="round" aria-hidden="true" focusable="false">'
        '<path d="M3 3l18 18M8.5 16.5a5 5 0 0 1 7 0M5 13a10 10 0 0 1 5-2.7M19 13a10 10 0 0 0-2-1.6'
        'M2 9.5a15 15 0 0 1 4.5-2.8M22 9.5A15 15 0 0 0 11 5.1"/><circle cx="12" cy="20" r="1"/>'
        "</svg>"
    ),
}


def icon(name: str) -> str:
    """The inline SVG markup of icon ``name``."""
    return ICONS[name]


@lru_cache(maxsize=1)
def app_css() -> str:
    """The app stylesheet (``static/app.css``)."""
    return files("procdeck.gui").joinpath("static/app.css").read_text(encoding="utf-8")


def stylesheets() -> list[str]:
    """The stylesheets to give every procdeck component (Panel shadow roots are isolated)."""
    return [app_css()]


PRIMARY_BUTTON_CSS = """
.bk-btn { font-weight: 600; border-radius: 8px; letter-spacing: 0.01em; }
.bk-btn:hover:not([disabled]) { filter: brightness(0.92); }
"""
"""The main action button (its colour comes from ``--design-primary-color`` of the palette)."""


def shell_classes(theme: str, *, notebook: bool = False) -> list[str]:
    """CSS classes of the app's outermost element for ``theme`` (``light`` or ``dark``)."""
    classes = ["pd-shell"]
    if theme == DARK:
        classes.append("pd-dark")
    if notebook:
        classes.append("pd-notebook")
    return classes
