"""A hostile server's processes: every text it sends tries to inject markup or run script.

Served with ``procdeck serve --processes hostile_processes`` (this folder on
``PYTHONPATH``). Each payload, if it ever ran, would set ``window.__pwned`` to its own
name; each injected element would carry ``pwn`` in its ``src``. The app must show all
of it as text. :data:`HOSTILE_STRINGS` lists every payload (for the test's figures).

``hostile_echo`` covers the description (Markdown with raw HTML, script, ``javascript:``,
``data:`` and reference links, autolinks, image links, attribute breaking), the title,
version, keywords and links, input titles, help texts, defaults and enum labels (select,
radio and ``oneOf`` titles), nested property titles, output titles, the job message while
it runs, the error of a failed job (message, RFC 7807 detail, traceback) and the results
(text, JSON tree with hostile keys, a ``javascript:`` link, an "image" link, records).
"""

from __future__ import annotations

import time
from typing import Any

from procdeck.server.context import JobContext
from procdeck.server.registry import ProcessRegistry

registry = ProcessRegistry()


def _img(tag: str) -> str:
    return f"<img src=pwn-{tag} onerror=\"window.__pwned='{tag}'\">"


def _script(tag: str) -> str:
    return f"<script>window.__pwned='{tag}'</script>"


TITLE = f"{_img('title')}Hostile <b>echo</b>"
VERSION = f"1.0{_img('version')}"
DESCRIPTION_LINES = [
    "Shows **bold** Markdown.",
    _script("desc-script"),
    _img("desc-img"),
    "<svg onload=\"window.__pwned='desc-svg'\"></svg>",
    "<iframe src=\"javascript:window.__pwned='desc-iframe'\"></iframe>",
    "[plain js](javascript:window.__pwned='desc-link')",
    "[cased js](  JaVaScRiPt:window.__pwned='desc-case')",
    "[entity js](&#106;avascript:window.__pwned='desc-entity')",
    "[data html](data:text/html;base64,PHNjcmlwdD53aW5kb3cuX19wd25lZD0nZGF0YSc8L3NjcmlwdD4=)",
    "[vb](vbscript:msgbox('pwn'))",
    "[ref js][evil]",
    "<javascript:window.__pwned='desc-autolink'>",
    "![image js](javascript:window.__pwned='desc-image')",
    "[attr break](https://example.org/\" onmouseover=\"window.__pwned='desc-attr')",
    "[safe link](https://example.org/docs)",
    "",
    "[evil]: javascript:window.__pwned='desc-ref'",
]
DESCRIPTION = "\n\n".join(DESCRIPTION_LINES[:-2]) + "\n\n" + DESCRIPTION_LINES[-1]
KEYWORDS = ["<b onmouseover=\"window.__pwned='kw'\">kw-bold</b>", _script("kw-script")]
LINKS = [
    {"href": "javascript:window.__pwned='link'", "rel": "about",
     "title": f"{_img('link')}js link"},
    {"href": "https://example.org/about", "rel": "about", "title": "<i>about</i> link"},
]
INPUT_TITLE = f"{_img('input-title')}Note"
HELP = f"{_script('help')} **help** [js](javascript:window.__pwned='help-link') {_img('help')}"
DEFAULT = _img("default")
SELECT_OPTIONS = [_img("enum"), _script("enum-script"), "plain",
                  '"><img src=pwn-enum-attr onerror="window.__pwned=\'enum-attr\'">']
RADIO_OPTIONS = ["<b>small</b>", _img("radio"), "large"]
ONEOF_TITLES = [f"{_img('oneof')}low", f"{_script('oneof-script')}high"]
NESTED_TITLE = f"{_img('nested')}Depth"
OUTPUT_TITLE = f"{_img('output')}Text"
JOB_MESSAGE = f"{_img('message')}<b>working</b>"
ERROR_MESSAGE = f"{_img('error')}{_script('error-script')} went wrong"
RESULT_TEXT = f"{_script('result')}{_img('result')}"
RESULT_KEY = f"{_img('result-key')}key"
RESULT_LINK = {"href": "javascript:window.__pwned='result-link'", "type": "text/html",
               "title": f"{_img('result-link-title')}open me"}
RESULT_IMAGE = {"href": "javascript:window.__pwned='result-image'", "type": "image/png"}
RESULT_RECORDS = [{RESULT_KEY: RESULT_TEXT, "n": 1}, {RESULT_KEY: _img("record"), "n": 2}]

HOSTILE_STRINGS: list[str] = [
    TITLE, VERSION, *DESCRIPTION_LINES[1:-3], DESCRIPTION_LINES[-1], *KEYWORDS,
    *(link["title"] for link in LINKS), LINKS[0]["href"], INPUT_TITLE, HELP, DEFAULT,
    *SELECT_OPTIONS, *RADIO_OPTIONS[:2], *ONEOF_TITLES, NESTED_TITLE, OUTPUT_TITLE,
    JOB_MESSAGE, ERROR_MESSAGE, RESULT_TEXT, RESULT_KEY, RESULT_LINK["href"],
    RESULT_LINK["title"], RESULT_IMAGE["href"], RESULT_RECORDS[1][RESULT_KEY],
]


def hostile_echo(ctx: JobContext, note: str, flavour: str = "plain", size: str = "large",
                 level: int = 1, options: dict[str, Any] | None = None, pause: float = 0.0,
                 fail: bool = False) -> dict[str, Any]:
    """Report a hostile message, then fail or return hostile results."""
    ctx.report(50, JOB_MESSAGE)
    time.sleep(pause)
    if fail:
        raise RuntimeError(ERROR_MESSAGE)
    return {
        "text": RESULT_TEXT,
        "tree": {RESULT_KEY: [RESULT_TEXT, {"note": note, "flavour": flavour}]},
        "link": RESULT_LINK,
        "image": RESULT_IMAGE,
        "records": RESULT_RECORDS,
    }


registry.add(
    {
        "id": "hostile_echo",
        "title": TITLE,
        "description": DESCRIPTION,
        "version": VERSION,
        "keywords": KEYWORDS,
        "links": LINKS,
        "inputs": {
            "note": {"title": INPUT_TITLE, "description": HELP,
                     "schema": {"type": "string", "default": DEFAULT}},
            "flavour": {"title": "Flavour", "minOccurs": 0,
                        "schema": {"type": "string", "enum": SELECT_OPTIONS, "default": "plain"}},
            "size": {"title": "Size", "minOccurs": 0,
                     "schema": {"type": "string", "enum": RADIO_OPTIONS, "default": "large"}},
            "level": {"title": "Level", "minOccurs": 0, "schema": {
                "oneOf": [{"const": 1, "title": ONEOF_TITLES[0]},
                          {"const": 2, "title": ONEOF_TITLES[1]}], "default": 1}},
            "options": {"title": "Options", "minOccurs": 0, "schema": {
                "type": "object", "properties": {
                    "depth": {"type": "integer", "title": NESTED_TITLE, "default": 1}}}},
            "pause": {"title": "Pause", "minOccurs": 0,
                      "schema": {"type": "number", "minimum": 0, "default": 0}},
            "fail": {"title": "Fail", "minOccurs": 0,
                     "schema": {"type": "boolean", "default": False}},
        },
        "outputs": {
            "text": {"title": OUTPUT_TITLE, "schema": {"type": "string"}},
            "tree": {"title": "Tree", "schema": {"type": "object"}},
            "link": {"title": "Link", "schema": {"type": "object"}},
            "image": {"title": "Image", "schema": {"type": "object"}},
            "records": {"title": "Records", "schema": {"type": "array"}},
        },
    },
    hostile_echo,
)
