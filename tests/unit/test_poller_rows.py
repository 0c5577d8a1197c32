"""One job as one table row: escaping, badges, times, durations, actions (no server needed)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from procdeck.gui.jobs.rows import (
    ACTION_LABELS,
    format_duration,
    job_row,
    relative_time,
    status_badge,
    time_cell,
)
from procdeck.models import JobInfo

NOW = datetime(2025, 10, 7, 14, 30, 0, tzinfo=UTC)


def job(**fields) -> JobInfo:
    return JobInfo.model_validate({"jobID": "job_1", "processID": "sleep_a_while",
                                   "status": "running", **fields})


def test_server_text_is_escaped_in_markup_cells() -> None:
    hostile = '<img src=x onerror="alert(1)">'
    row = job_row(job(jobID=hostile, status=hostile, message=hostile), NOW)
    assert "<img" not in row["status"] and "&lt;img" in row["status"]
    assert "pd-status-unknown" in row["status"], "unknown statuses stay visible"
    assert "<img" not in row["dismiss"] and 'aria-label="Dismiss"' in row["dismiss"]
    # plain-text columns keep the text as is: Tabulator's plaintext formatter escapes them
    assert row["message"] == hostile


def test_status_badges_have_a_tone_per_state() -> None:
    tones = {s: status_badge(job(status=s).status) for s in
             ("accepted", "running", "successful", "failed", "dismissed")}
    assert len({badge.split('"')[1] for badge in tones.values()}) == 5
    assert "successful" in status_badge(job(status="succeeded").status), "synonyms mapped"


def test_actions_follow_the_status() -> None:
    running = job_row(job(status="running"), NOW)
    assert running["dismiss"] and not running["open"]
    done = job_row(job(status="successful"), NOW)
    assert f'aria-label="{ACTION_LABELS["results"]}"' in done["open"]
    failed = job_row(job(status="failed"), NOW)
    assert f'aria-label="{ACTION_LABELS["error"]}"' in failed["open"]
    assert not done["again"]
    assert job_row(job(status="successful"), NOW, can_run_again=lambda _: True)["again"]


def test_times_are_relative_with_absolute_tooltip_and_sort_as_strings() -> None:
    cells = [time_cell(NOW - timedelta(seconds=s), NOW) for s in (7200, 300, 42, 1)]
    assert [c.split(">")[1].split("<")[0] for c in cells] == [
        "2h ago", "5m ago", "42s ago", "just now"]
    assert 'title="2025-10-07 12:30:00 UTC"' in cells[0]
    assert sorted(cells) == cells, "markup sorts chronologically"
    odd = "no time &lt;b&gt;"
    assert time_cell("no time <b>", NOW) == f'<span title="{odd}">{odd}</span>'
    assert time_cell(None, NOW) == ""
    assert relative_time(NOW - timedelta(days=3), NOW) == "3 d ago"


def test_durations_run_while_running_and_sort_numerically() -> None:
    started = NOW - timedelta(seconds=75)
    running = job_row(job(started=started.isoformat()), NOW)
    assert "1 min 15 s" in running["duration"]
    finished = job_row(job(status="successful", started=started.isoformat(),
                           finished=(started + timedelta(seconds=9.5)).isoformat()), NOW)
    assert "9.5 s" in finished["duration"]
    assert finished["duration"] < running["duration"], "9.5 s sorts before 75 s"
    assert job_row(job(), NOW)["duration"] == "", "not started: no duration"
    assert format_duration(7440) == "2 h 04 min"


def test_process_label_search_text_and_progress() -> None:
    row = job_row(job(progress=40, message="Half"), NOW, titles={"sleep_a_while": "Sleep"})
    assert row["process"] == '<span title="Sleep (sleep_a_while)">Sleep (sleep_a_while)</span>'
    assert row["process_id"] == "sleep_a_while"
    assert row["progress"] == 40
    assert "half" in row["search_text"] and "job_1" in row["search_text"]
    assert job_row(job(status="successful"), NOW)["progress"] == 100
    tracked = job_row(job(processID=None), NOW, process_id="from_track")
    assert tracked["process_id"] == "from_track"
