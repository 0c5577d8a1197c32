"""procdeck._util: URL masking, safe links, backoff and lazy module attributes."""

from __future__ import annotations

import ast
import subprocess
import sys
import types
from pathlib import Path

import httpx
import pytest

from procdeck._util.backoff import Backoff, backoff_delay
from procdeck._util.lazy import lazy_exports
from procdeck._util.urls import LINK_SCHEMES, mask_url, safe_href

UTIL = Path(__file__).parents[2] / "src" / "procdeck" / "_util"


def test_util_modules_import_only_the_standard_library() -> None:
    for path in UTIL.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                roots = [alias.name.split(".")[0] for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                roots = [(node.module or "").split(".")[0]] if node.level == 0 else ["."]
            else:
                continue
            for root in roots:
                assert root in sys.stdlib_module_names, f"{path.name} imports {root}"


# -- mask_url ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("url", "shown"), [
    ("http://u:p@[::1]:8008", "http://u:****@[::1]:8008"),
    ("http://u:p@[::1]:8008/jobs?limit=5", "http://u:****@[::1]:8008/jobs?limit=5"),
    ("https://user:secret@Example.org/processes", "https://user:****@Example.org/processes"),
    ("https://user:secret@h.test:8443/p?q=1&r=a:b@c#frag",
     "https://user:****@h.test:8443/p?q=1&r=a:b@c#frag"),
    ("https://user:p@ss@h.test/x", "https://user:****@h.test/x"),  # an unescaped "@"
    ("https://user:@h.test/", "https://user:****@h.test/"),  # an empty password
    ("https://:secret@h.test/", "https://:****@h.test/"),
    ("https://user@h.test/x", "https://user@h.test/x"),  # a user but no password
    ("http://127.0.0.1:8008/jobs?limit=5", "http://127.0.0.1:8008/jobs?limit=5"),
    ("http://h.test/?next=http://u:p@elsewhere", "http://h.test/?next=http://u:p@elsewhere"),
    ("the server", "the server"),
])
def test_mask_url_hides_only_the_password(url: str, shown: str) -> None:
    assert mask_url(url) == shown


def test_mask_url_takes_an_httpx_url_and_masks_text_urlsplit_refuses() -> None:
    assert mask_url(httpx.URL("http://u:p@[::1]:8008/x")) == "http://u:****@[::1]:8008/x"
    assert mask_url("http://u:secret@[::1:8008/x") == "http://u:****@[::1:8008/x"


def test_one_masking_for_config_client_messages_and_app() -> None:
    from procdeck.client import _responses, config
    from procdeck.client._protocol import Call
    from procdeck.gui import connection

    assert config.mask_url is mask_url and connection.mask_url is mask_url
    call = Call("GET", "http://u:p@[::1]:8008/jobs", params=[("limit", "5")])
    assert _responses.where(call) == "GET http://u:****@[::1]:8008/jobs?limit=5"
    shown = config.ClientConfig(server_url="http://u:p@[::1]:8008").to_dict()["server_url"]
    assert shown == "http://u:****@[::1]:8008"


# -- safe_href --------------------------------------------------------------------------------


@pytest.mark.parametrize("href", [
    "https://example.org/x", "http://h.test", "HTTPS://Example.org/A", "http://[::1]:8008/x",
])
def test_web_links_are_safe(href: str) -> None:
    assert safe_href(href) == href
    assert safe_href(f"  {href}\n") == href
    assert safe_href(href, LINK_SCHEMES) == href


@pytest.mark.parametrize("href", [
    "javascript:alert(1)", " JavaScript:alert(1)", "java\tscript:alert(1)",
    "data:text/html,<b>", "file:///etc/passwd", "vbscript:x", "/relative", "relative/x",
    "//h.test/x", "https:x", "https://", "http://[::1", "", "   ", None, 3, b"https://h",
])
def test_other_links_are_refused(href: object) -> None:
    assert safe_href(href) is None
    assert safe_href(href, LINK_SCHEMES) is None


def test_mailto_only_when_asked_for() -> None:
    assert safe_href("mailto:x@y.z") is None
    assert safe_href("mailto:x@y.z", LINK_SCHEMES) == "mailto:x@y.z"
    assert safe_href("mailto:", LINK_SCHEMES) is None


def test_markdown_and_results_use_the_one_safe_href() -> None:
    from procdeck.gui import markdown
    from procdeck.gui.results import kinds

    assert kinds.safe_href is safe_href
    assert markdown.safe_href("mailto:x@y.z") == "mailto:x@y.z"
    assert kinds.safe_href("mailto:x@y.z") is None
    for href in ("https:x", "javascript:alert(1)", "https://h.test/ok"):
        assert markdown.safe_href(href) == kinds.safe_href(href)


# -- backoff ----------------------------------------------------------------------------------


def test_backoff_delay_doubles_from_initial_up_to_maximum() -> None:
    assert [backoff_delay(n, initial=0.5, maximum=3) for n in range(1, 6)] == [0.5, 1, 2, 3, 3]
    assert [backoff_delay(n, initial=1, maximum=100, factor=3) for n in (1, 2, 3)] == [1, 3, 9]
    assert backoff_delay(100_000, initial=0.1, maximum=30) == 30  # no OverflowError


def test_backoff_counts_failures_and_resets() -> None:
    backoff = Backoff(initial=0.5, factor=2, maximum=3)
    assert [backoff.next_delay() for _ in range(5)] == [0.5, 1, 2, 3, 3]
    assert backoff.failures == 5
    backoff.reset()
    assert backoff.next_delay() == 0.5


def test_the_three_backoffs_keep_their_numbers() -> None:
    from procdeck.gui.connection import Backoff as ConnectionBackoff
    from procdeck.gui.jobs.poller import JobPoller
    from procdeck.server.callbacks import CallbackSettings

    assert ConnectionBackoff is Backoff
    settings = CallbackSettings(attempts=6, backoff=0.5, max_backoff=2.0)
    assert [settings.retry_delay(n) for n in range(1, 7)] == [0.5, 1.0, 2.0, 2.0, 2.0, None]

    poller = JobPoller(client=None, fast_interval=0.1, max_backoff=1.0)
    waits = []
    for failures in range(1, 6):
        poller._failures = failures
        waits.append(poller.next_interval())
    assert waits == [min(0.1 * 2**n, 1.0) for n in range(1, 6)]
    poller._failures = 5000  # hours of a server that does not answer
    assert poller.next_interval() == 1.0


# -- lazy_exports -----------------------------------------------------------------------------


def _module(name: str, monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    module = types.ModuleType(name)
    monkeypatch.setitem(sys.modules, name, module)
    return module


def test_lazy_exports_import_on_first_use_and_keep_the_value(monkeypatch) -> None:
    defining = _module("pd_test_defining", monkeypatch)
    defining.Thing = object()
    made: list[int] = []
    package = _module("pd_test_package", monkeypatch)
    package.__getattr__, package.__dir__ = lazy_exports("pd_test_package", {
        "Thing": "pd_test_defining",
        "BUILT": lambda: made.append(1) or "built",
    })
    assert "Thing" in dir(package) and "BUILT" in dir(package)
    assert package.Thing is defining.Thing
    assert vars(package)["Thing"] is defining.Thing  # kept: the next read is a plain look-up
    assert package.BUILT == "built" and package.BUILT == "built" and made == [1]
    with pytest.raises(AttributeError, match="'pd_test_package' has no attribute 'Other'"):
        package.Other  # noqa: B018
    assert not hasattr(package, "Other")


def test_lazy_exports_let_a_missing_module_fail_loudly(monkeypatch) -> None:
    package = _module("pd_test_broken", monkeypatch)
    package.__getattr__, _ = lazy_exports("pd_test_broken", {"Gone": "pd_test_not_there"})
    with pytest.raises(ModuleNotFoundError, match="pd_test_not_there"):
        package.Gone  # noqa: B018


PACKAGES = {
    "procdeck": ["AsyncClient", "Client", "ClientConfig", "ClientError", "ProcessRequest"],
    "procdeck.server": ["CallbackSettings", "JobContext", "ProcessRegistry", "create_app"],
    "procdeck.gui.jobs": ["JobPoller", "JobDiff", "JobEvent", "JobTable", "bind_to_session"],
    "procdeck.gui.results": ["ResultItem", "ResultView", "classify", "results_mimebundle"],
    "procdeck.gui": ["App", "JobPoller", "ResultView", "detect_frontend", "notebook_mode"],
}


def _run(code: str) -> None:
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_importing_procdeck_and_its_client_loads_no_gui_and_no_server() -> None:
    _run(
        "import sys, procdeck\n"
        "heavy = ('panel', 'bokeh', 'fastapi', 'uvicorn')\n"
        "assert not [m for m in heavy if m in sys.modules], 'imported with procdeck'\n"
        "assert 'procdeck.client' not in sys.modules, 'the client is loaded on first use'\n"
        "procdeck.Client, procdeck.ProcessRequest\n"
        "assert not [m for m in heavy if m in sys.modules], 'imported with the client'\n"
        "import procdeck.server, procdeck.gui.jobs.poller, procdeck.gui.results.notebook\n"
        "assert 'fastapi' not in sys.modules and 'panel' not in sys.modules\n"
    )


def test_every_lazy_name_is_listed_and_importable() -> None:
    lines = ["import importlib"]
    for package, names in PACKAGES.items():
        lines += [
            f"m = importlib.import_module({package!r})",
            f"assert set({names!r}) <= set(m.__all__) and set(m.__all__) <= set(dir(m))",
            "for name in m.__all__: getattr(m, name)",
        ]
    _run("\n".join(lines))



def test_a_missing_cli_module_fails_loudly() -> None:
    _run(
        "import sys\n"
        "sys.modules['procdeck.cli.gui_cmds'] = None  # as if it were not packaged\n"
        "try:\n"
        "    import procdeck.cli\n"
        "except ImportError as exc:\n"
        "    assert 'procdeck.cli.gui_cmds' in str(exc), exc\n"
        "else:\n"
        "    raise AssertionError('procdeck.cli imported without gui_cmds')\n"
    )
