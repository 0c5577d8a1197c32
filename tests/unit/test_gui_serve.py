"""The served app's models name Panel's stylesheets by the app's own URL, never the CDN."""

from __future__ import annotations

import panel as pn
from bokeh.document import Document
from bokeh.models import ImportedStyleSheet
from panel.io.resources import CDN_DIST, LOCAL_DIST

from procdeck.gui.serve import _serve_stylesheets_locally


def _stylesheet_urls(doc: Document) -> list[str]:
    model = pn.Column(pn.widgets.Button(name="Go"), pn.widgets.Select(options=["a"])).get_root(doc)
    return [str(sheet.url) for sheet in model.select({"type": ImportedStyleSheet})]


def test_models_made_before_the_page_is_rendered_use_local_stylesheets() -> None:
    # a model built in a session before Panel renders its page (the job table's first fill)
    doc = Document()
    _serve_stylesheets_locally(doc)
    urls = _stylesheet_urls(doc)
    assert urls, "the layout has no stylesheets to check"
    assert not [url for url in urls if url.startswith(CDN_DIST)]
    assert any(url.startswith(LOCAL_DIST) for url in urls)


def test_without_it_panel_names_the_cdn() -> None:
    # what the fix is for: the same layout in a document Panel knows nothing about yet
    assert any(url.startswith(CDN_DIST) for url in _stylesheet_urls(Document()))


def test_a_dist_url_panel_already_set_is_kept() -> None:
    doc = Document()
    doc._template_variables["dist_url"] = "/prefix/static/extensions/panel/"
    _serve_stylesheets_locally(doc)
    assert doc._template_variables["dist_url"] == "/prefix/static/extensions/panel/"
