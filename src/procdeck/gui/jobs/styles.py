"""Stylesheets of the job views (Panel components live in shadow roots: each gets its own).

Colours come from the app's custom properties (``--pd-*``, set on the shell and
inherited into shadow roots), with fallbacks so the views also look right on
their own (``client.show_jobs()``).
"""

from __future__ import annotations

__all__ = ["CARD_CSS", "TABLE_CSS"]

_BADGES = """
.pd-status { display: inline-block; padding: 0 8px; border-radius: 999px; font-size: 12px;
  font-weight: 600; line-height: 20px; white-space: nowrap; }
.pd-status-idle { background: var(--pd-idle-soft, #eef2f6); color: var(--pd-idle, #475569); }
.pd-status-accent { background: var(--pd-accent-soft, #e8effd); color: var(--pd-accent, #1d4ed8); }
.pd-status-ok { background: var(--pd-ok-soft, #dcfce7); color: var(--pd-ok, #15803d); }
.pd-status-bad { background: var(--pd-bad-soft, #fde8e8); color: var(--pd-bad, #b91c1c); }
.pd-status-warn { background: var(--pd-warn-soft, #fef3c7); color: var(--pd-warn, #92400e); }
.pd-status-unknown { border: 1px dashed var(--pd-idle, #64748b); color: var(--pd-idle, #475569); }
"""

TABLE_CSS = _BADGES + """
/* Compact: the table shares a side pane with the filters and seven columns must fit. The
   headings set most column widths, so they are small, regular weight and muted. */
:host .tabulator { font-size: 12px; }
:host .tabulator .tabulator-header .tabulator-col .tabulator-col-content { padding: 4px 3px; }
:host .tabulator .tabulator-header .tabulator-col .tabulator-col-title { font-size: 11px;
  font-weight: 500; color: var(--pd-muted, #5b6470); }
:host .tabulator-row .tabulator-cell { padding: 4px 3px; }
/* The sort arrow shows on the sorted column (and on hover) only: reserved on every
   heading, its space would widen each column by a third. */
:host .tabulator .tabulator-header .tabulator-col.tabulator-sortable .tabulator-col-title {
  padding-right: 12px; }
:host .tabulator .tabulator-header .tabulator-col.tabulator-sortable[aria-sort="none"]
  .tabulator-col-title { padding-right: 0; }
:host .tabulator .tabulator-header .tabulator-col.tabulator-sortable[aria-sort="none"]
  .tabulator-col-sorter { visibility: hidden; }
:host .tabulator .tabulator-header .tabulator-col.tabulator-sortable[aria-sort="none"]:hover
  .tabulator-col-sorter { visibility: visible; }
:host .tabulator .pd-status { font-size: 11px; padding: 0 5px; }
:host .tabulator-row .tabulator-cell[tabulator-field="open"],
:host .tabulator-row .tabulator-cell[tabulator-field="again"],
:host .tabulator-row .tabulator-cell[tabulator-field="dismiss"] { padding: 3px 2px; }
.pd-row-action { border: 1px solid var(--pd-border, #d0d5dd); background: var(--pd-surface, #fff);
  color: var(--pd-text, #1b1f24); border-radius: 6px; width: 20px; height: 22px; padding: 0;
  cursor: pointer; font-size: 12px; line-height: 20px; }
.pd-row-action:hover, .pd-row-action:focus-visible { background: var(--pd-accent-soft, #e8effd);
  outline: 2px solid var(--pd-accent, #2563eb); outline-offset: 1px; }
.pd-action-dismiss:hover { color: var(--pd-bad, #b91c1c); }
.pd-action-error { color: var(--pd-bad, #b91c1c); }
.tabulator .tabulator-cell time, .tabulator .tabulator-cell span[title] { cursor: help; }
/* The table follows the app's palette (light and dark); light defaults on its own. */
:host .tabulator { background-color: var(--pd-surface, #fff); color: var(--pd-text, #1b1f24);
  border-color: var(--pd-border, #e2e6ec); }
:host .tabulator .tabulator-header, :host .tabulator .tabulator-header .tabulator-col {
  background-color: var(--pd-surface-2, #f8fafc); color: var(--pd-text, #1b1f24);
  border-color: var(--pd-border, #e2e6ec); }
:host .tabulator .tabulator-tableholder { background-color: var(--pd-surface, #fff); }
:host .tabulator-row, :host .tabulator-row .tabulator-cell {
  background-color: var(--pd-surface, #fff); color: var(--pd-text, #1b1f24);
  border-color: var(--pd-border, #e2e6ec); }
:host .tabulator-row.tabulator-row-even, :host .tabulator-row.tabulator-row-even .tabulator-cell {
  background-color: var(--pd-surface-2, #f8fafc); }
:host .tabulator-row.tabulator-selected, :host .tabulator-row.tabulator-selected .tabulator-cell {
  background-color: var(--pd-accent-soft, #e8effd); }
/* The frozen job column and buttons: Tabulator draws their edge in a fixed light grey
   (its theme loads after this sheet, so these rules name as much as its own). */
:host .tabulator .tabulator-header .tabulator-col.tabulator-frozen.tabulator-frozen-left,
:host .tabulator-row .tabulator-cell.tabulator-frozen.tabulator-frozen-left {
  border-right: 1px solid var(--pd-border, #e2e6ec); }
:host .tabulator .tabulator-header .tabulator-col.tabulator-frozen.tabulator-frozen-right,
:host .tabulator-row .tabulator-cell.tabulator-frozen.tabulator-frozen-right {
  border-left: 1px solid var(--pd-border, #e2e6ec); }
:host .tabulator .tabulator-footer { background-color: var(--pd-surface-2, #f8fafc);
  color: var(--pd-text, #1b1f24); border-top-color: var(--pd-border, #e2e6ec); }
:host .tabulator .tabulator-footer .tabulator-page { background-color: var(--pd-surface, #fff);
  color: var(--pd-text, #1b1f24); border-color: var(--pd-border, #d0d5dd); }
:host .tabulator .tabulator-footer .tabulator-page.active { color: var(--pd-accent, #2563eb);
  font-weight: 650; }
:host .tabulator .tabulator-footer .tabulator-page:disabled { opacity: 0.45; }
"""

CARD_CSS = _BADGES + """
:host { font-family: var(--pd-font, system-ui, sans-serif); color: var(--pd-text, #1b1f24); }
.pd-jobs-head { display: flex; align-items: baseline; gap: 10px; flex-wrap: wrap; }
.pd-jobs-title { font-weight: 650; font-size: 15px; }
.pd-jobs-count { color: var(--pd-muted, #5b6470); font-size: 12px; }
.pd-jobs-state { margin-left: auto; font-size: 12px; color: var(--pd-muted, #5b6470); }
.pd-jobs-state.pd-bad { color: var(--pd-bad, #b91c1c); font-weight: 600; }
.pd-note { font-size: 13px; padding: 6px 10px; border-radius: 8px;
  background: var(--pd-surface-2, #f8fafc); border: 1px solid var(--pd-border, #e2e6ec); }
.pd-note.pd-bad { background: var(--pd-bad-soft, #fde8e8); color: var(--pd-bad, #b91c1c);
  border-color: transparent; }
.pd-note.pd-ok { background: var(--pd-ok-soft, #dcfce7); color: var(--pd-ok, #15803d);
  border-color: transparent; }
.pd-note code, .pd-kv code { font-family: var(--pd-mono, monospace); }
.pd-kv { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; font-size: 13px; }
.pd-kv dt { color: var(--pd-muted, #5b6470); }
.pd-kv dd { margin: 0; word-break: break-word; }
.pd-pre { white-space: pre-wrap; word-break: break-word; margin: 0; max-height: 320px;
  overflow: auto; font-family: var(--pd-mono, monospace); font-size: 12px; padding: 8px;
  border-radius: 6px; background: var(--pd-surface-2, #f8fafc);
  border: 1px solid var(--pd-border, #e2e6ec); }
.pd-pre.pd-trace { background: var(--pd-code-bg, #0f172a); color: var(--pd-code-text, #e2e8f0); }
.pd-section { font-weight: 600; font-size: 13px; margin: 6px 0 2px 0; }
.pd-muted { color: var(--pd-muted, #5b6470); font-size: 12px; }
.pd-error-title { color: var(--pd-bad, #b91c1c); font-weight: 650; }
"""
