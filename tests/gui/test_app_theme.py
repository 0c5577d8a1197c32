"""Switching the theme keeps every draft: the page reloads (Panel picks its theme when a
session starts) and the new session takes the old one's drafts from the handover store."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.integration]

TIMEOUT = 20_000
DARK_PAGE = "rgb(14, 17, 22)"  # the dark palette's page colour


def open_process(page: Page, name: str) -> None:
    page.get_by_role("button", name=name).click()
    expect(page.get_by_role("heading", name=name)).to_be_visible(timeout=TIMEOUT)


def inputs(page: Page) -> dict:
    return json.loads(page.get_by_label("Request JSON").inner_text())["inputs"]


def shell_background(page: Page) -> str:
    return page.locator(".pd-shell").evaluate("e => getComputedStyle(e).backgroundColor")


def test_theme_switch_keeps_selection_and_drafts(watched_page, app_url: str) -> None:
    page, watch = watched_page
    page.goto(app_url)
    open_process(page, "Sleep Processor")
    duration = page.get_by_label("Duration")
    duration.fill("4.5")
    duration.press("Tab")
    expect(page.get_by_label("Request JSON")).to_contain_text("4.5", timeout=TIMEOUT)

    open_process(page, "Every input kind")
    title = page.get_by_label("Title", exact=True)
    title.fill("Kept across themes")
    title.press("Tab")
    page.get_by_label("Source variant").select_option(label="UrlSource")
    # the URL variant has no URL yet, so the source leaves the request
    expect(page.get_by_label("Request JSON")).not_to_contain_text('"inline"', timeout=TIMEOUT)
    page.get_by_role("button", name="Source", exact=False).last.click()  # collapsed
    url = page.get_by_label("URL", exact=True)
    url.fill("https://example.org/kept.csv")
    # no Tab: clicking the toggle right after typing must not lose the last value either
    page.get_by_role("button", name="Dark theme").click()

    expect(page).to_have_url(re.compile(r"theme=dark"), timeout=TIMEOUT)
    assert "kept" not in page.url.lower()  # only a token travels in the URL
    expect(page.locator(".pd-shell")).to_have_class(re.compile(r"\bpd-dark\b"),
                                                    timeout=TIMEOUT)
    assert shell_background(page) == DARK_PAGE
    expect(page.get_by_role("heading", name="Every input kind")).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_label("Title", exact=True)).to_have_value("Kept across themes",
                                                                 timeout=TIMEOUT)
    expect(page.get_by_label("Source variant")).to_have_value(re.compile("Url", re.I))
    page.get_by_role("button", name="Source", exact=False).last.click()
    expect(page.get_by_label("URL", exact=True)).to_have_value("https://example.org/kept.csv")
    expect(page.get_by_label("Request JSON")).to_contain_text("https://example.org/kept.csv",
                                                             timeout=TIMEOUT)
    shown = inputs(page)
    assert shown["title"] == "Kept across themes"
    assert shown["source"] == {"kind": "url", "url": "https://example.org/kept.csv"}

    page.get_by_role("button", name="Light theme").click()
    expect(page).to_have_url(re.compile(r"theme=default"), timeout=TIMEOUT)
    expect(page.locator(".pd-shell")).not_to_have_class(re.compile(r"\bpd-dark\b"),
                                                        timeout=TIMEOUT)
    assert shell_background(page) != DARK_PAGE
    expect(page.get_by_label("Title", exact=True)).to_have_value("Kept across themes",
                                                                 timeout=TIMEOUT)
    expect(page.get_by_label("Request JSON")).to_contain_text("https://example.org/kept.csv",
                                                             timeout=TIMEOUT)
    assert inputs(page)["source"] == {"kind": "url", "url": "https://example.org/kept.csv"}
    open_process(page, "Sleep Processor")  # the other process's draft came along too
    expect(page.get_by_label("Duration")).to_have_value(re.compile(r"4\.5"))
    expect(page.get_by_label("Request JSON")).to_contain_text('"duration": 4.5',
                                                             timeout=TIMEOUT)
    assert watch.errors == [], f"console errors: {watch.errors}"
    # one page load per switch: a second, aborted load could take the drafts for itself
    loads = [url for url in watch.requests if "handover=" in url]
    assert len(loads) == 2, loads


def test_a_used_token_restores_nothing(watched_page, app_url: str) -> None:
    page, _ = watched_page
    page.goto(app_url)
    open_process(page, "Sleep Processor")
    duration = page.get_by_label("Duration")
    duration.fill("3.25")
    duration.press("Tab")
    page.get_by_role("button", name="Dark theme").click()
    expect(page.locator(".pd-shell")).to_have_class(re.compile(r"\bpd-dark\b"),
                                                    timeout=TIMEOUT)
    expect(page.get_by_label("Duration")).to_have_value(re.compile(r"3\.25"), timeout=TIMEOUT)
    page.reload()  # same URL, same token: already consumed, a fresh session
    expect(page.locator(".pd-shell")).to_have_class(re.compile(r"\bpd-dark\b"),
                                                    timeout=TIMEOUT)
    expect(page.get_by_role("button", name="Sleep Processor")).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_role("heading", name="Sleep Processor")).to_have_count(0)
