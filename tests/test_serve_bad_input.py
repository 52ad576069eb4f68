"""``kpi-targets serve`` (a real subprocess) fed bad input: it keeps counting, says where, and
never answers 500 or stops a source.

- followed queue_log and records files that get a line with a lone ``\\r``: the line is rejected
  with its file:line, the good lines after it are counted on ``/metrics``;
- an invalid hand edit of the targets: ``kpi_targets_targets_valid 0``, one reload error, logged
  once however long it stays, and the last good targets stay in force;
- absurd payloads on ``POST /api/v1/events``: each gets its 4xx, and afterwards the counters show
  exactly the events a 200 called accepted.
"""

from __future__ import annotations

import http.client
import json
import re
import time
from pathlib import Path

import pytest
from processes import Process, free_port, http_get, wait_for
from test_serve import EVENTS_TOKEN, _http_serve_args, _serve_args, targets_dir

__all__ = ["targets_dir"]  # the fixture, imported for these tests


def metric(text: str, series: str) -> float | None:
    """The value of one exact series in an exposition, None when absent."""
    match = re.search(rf"^{re.escape(series)} (\S+)$", text, re.MULTILINE)
    return float(match.group(1)) if match else None


def scrape(port: int) -> str:
    return http_get(f"http://127.0.0.1:{port}/metrics")[1]


def wait_for_series(port: int, series: str, value: float, what: str) -> str:
    def probe() -> str | None:
        text = scrape(port)
        return text if metric(text, series) == value else None

    return wait_for(what, probe, timeout=20)


def targets_in_force(text: str) -> set[tuple[str, str]]:
    """The (kpi, quantifier) pairs of the kpi_target series of an exposition."""
    pattern = r'^kpi_target\{.*?kpi="([^"]+)",level="[^"]+",quantifier="([^"]+)"'
    return set(re.findall(pattern, text, re.M))


def append(path: Path, text: str) -> None:
    with path.open("a", encoding="utf-8", newline="") as handle:
        handle.write(text)


@pytest.mark.integration
def test_followed_files_with_a_lone_carriage_return_keep_counting(
    targets_dir: Path, tmp_path: Path
) -> None:
    now = int(time.time()) - 60
    queue_log = tmp_path / "queue_log.csv"  # the realtime table export, where csv met the \r
    queue_log.write_text(
        "time,callid,queuename,agent,event,data1,data2,data3,data4,data5\n"
        f"{now},q1,sales,NONE,ENTERQUEUE,,555,1,,\n"
    )
    records = tmp_path / "contacts.csv"
    records.write_text(
        "contact_id,queued_at,channel,queue,answered,wait_seconds\n"
        f"r1,{now},voice,support,false,12\n"
    )
    metrics = free_port()
    process = Process(
        _serve_args(
            targets_dir,
            metrics,
            free_port(),
            "--source",
            f"queue_log:{queue_log}",
            "--source",
            f"records:{records}?follow=yes",
        ),
        cwd=tmp_path,
    )
    sales = 'contact_center_contacts_offered_total{channel="voice",queue="sales"}'
    support = 'contact_center_contacts_offered_total{channel="voice",queue="support"}'
    try:
        process.read_line(30)
        wait_for_series(metrics, sales, 1.0, "the first queue_log line")
        wait_for_series(metrics, support, 1.0, "the first record")

        append(queue_log, f"{now + 1},q2\r,sales,NONE,ENTERQUEUE,,555,1,,\n")  # line 3
        append(queue_log, f"{now + 2},q3,sales,NONE,ENTERQUEUE,,555,1,,\n")
        append(queue_log, f"{now + 3},q4,sales,NONE,ENTERQUEUE,,555,1,,\n")
        append(records, f"r2,{now + 1},voice,sup\rport,false,5\n")  # line 3
        append(records, f"r3,{now + 2},voice,support,false,7\n")
        append(records, f"r4,{now + 3},voice,support,true,9\n")

        text = wait_for_series(metrics, sales, 3.0, "the queue_log lines after the bad one")
        text = wait_for_series(metrics, support, 3.0, "the records after the bad one")
        bad_queue_log = 'kpi_targets_events_rejected_total{reason="bad_line",source="queue_log"}'
        assert metric(text, bad_queue_log) == 1.0
        assert metric(text, 'kpi_targets_events_rejected_total{reason="bad_csv",source="records"}')
        for source in ("queue_log", "records"):
            assert metric(text, f'kpi_targets_source_up{{source="{source}"}}') == 1.0
            assert metric(text, f'kpi_targets_source_failures_total{{source="{source}"}}') == 0.0
    finally:
        assert process.stop() == 0, process.stderr
    assert f"queue_log: rejected bad_line at {queue_log}:3: a carriage return" in process.stderr
    assert f"records: rejected bad_csv at {records}:3: a carriage return" in process.stderr
    assert "Traceback" not in process.stderr


@pytest.mark.integration
def test_an_invalid_hand_edit_shows_invalid_is_logged_once_and_keeps_the_last_good_targets(
    targets_dir: Path, tmp_path: Path
) -> None:
    metrics = free_port()
    process = Process(_serve_args(targets_dir, metrics, free_port()), cwd=tmp_path)
    targets_file = targets_dir / "targets.yaml"
    good = targets_file.read_text()
    try:
        process.read_line(30)

        def with_a_service_level_target() -> str | None:
            text = scrape(metrics)
            return text if ("service_level_ratio", "or_more") in targets_in_force(text) else None

        text = wait_for("a service-level target", with_a_service_level_target, timeout=20)
        assert metric(text, "kpi_targets_targets_valid") == 1.0
        targets_before = targets_in_force(text)

        # A self-referencing alias: before, PyYAML recursed until the watcher logged a traceback
        # every second while /metrics still said valid.
        targets_file.write_text("targets: &loop\n  - *loop\n")
        text = wait_for_series(metrics, "kpi_targets_targets_valid", 0.0, "the refused edit")
        assert metric(text, "kpi_targets_target_reload_errors_total") == 1.0
        time.sleep(3)  # the watcher looks every second: three more looks at the same bad file
        text = scrape(metrics)
        assert metric(text, "kpi_targets_target_reload_errors_total") == 1.0
        assert metric(text, "kpi_targets_targets_valid") == 0.0
        assert targets_before <= targets_in_force(text)  # the last good targets stay in force

        targets_file.write_text("targets:\n  - kpi: \x07\n")  # another bad edit: logged again
        wait_for_series(metrics, "kpi_targets_target_reload_errors_total", 2.0, "second edit")
        targets_file.write_text(good)
        wait_for_series(metrics, "kpi_targets_targets_valid", 1.0, "the repaired file")
    finally:
        assert process.stop() == 0, process.stderr
    log = process.stderr
    assert log.count("not reloaded") == 2, log
    assert f"{targets_file}:1: error: an alias refers to a node that contains it" in log
    assert f"{targets_file}:2: error: control character U+0007 is not allowed" in log
    assert "Traceback" not in log


def _post(admin: int, body: bytes, *, chunked: bool = False) -> tuple[int, dict[str, object]]:
    connection = http.client.HTTPConnection("127.0.0.1", admin, timeout=10)
    headers = {"Authorization": f"Bearer {EVENTS_TOKEN}", "Content-Type": "application/json"}
    try:
        if chunked:
            connection.putrequest("POST", "/api/v1/events")
            for name, value in {**headers, "Transfer-Encoding": "chunked"}.items():
                connection.putheader(name, value)
            connection.endheaders()
            for start in range(0, len(body), 65536):
                piece = body[start : start + 65536]
                connection.send(b"%x\r\n%s\r\n" % (len(piece), piece))
            connection.send(b"0\r\n\r\n")
        else:
            connection.request("POST", "/api/v1/events", body=body, headers=headers)
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def _offered(event_id: str, at: object, **fields: object) -> dict[str, object]:
    return {
        "type": "contact",
        "id": event_id,
        "kind": "offered",
        "at": at,
        "contact_id": event_id,
        "queue": "sales",
        "channel": "voice",
        **fields,
    }


@pytest.mark.integration
def test_absurd_event_payloads_get_4xx_and_a_200_means_counted_once(
    targets_dir: Path, tmp_path: Path
) -> None:
    metrics, admin = free_port(), free_port()
    process = Process(_http_serve_args(targets_dir, tmp_path, metrics, admin), cwd=tmp_path)
    now = time.time()
    whole_request_refusals = {
        "deep nesting": (b"[" * 100_000 + b"]" * 100_000, False, 400, "nested too deeply"),
        "a 5000-digit integer": (b'[{"at": ' + b"9" * 5000 + b"}]", False, 400, "digits"),
        "a chunked body over 1 MiB": (
            json.dumps([_offered(f"big-{n}", now, agent="x" * 150) for n in range(1000)])
            .encode()
            .ljust(1024 * 1024 + 10, b" "),
            True,
            413,
            "larger than the limit of 1048576 bytes",
        ),
    }
    # Valid JSON, each event refused in a 200 with its field and code.
    refused_events = [
        (_offered("huge-int", 10**400), "at", "out_of_range"),
        (
            _offered("huge-wait", now, kind="abandoned", wait_seconds=1e308),
            "wait_seconds",
            "out_of_range",
        ),
        (
            _offered("month-wait", now, kind="abandoned", wait_seconds=2_592_001),
            "wait_seconds",
            "out_of_range",
        ),
        (_offered("future", now + 3600), "at", "from_the_future"),
        (_offered("before-1970", "1969-12-31T23:59:59Z"), "at", "out_of_range"),
        (_offered("deep-field", now, queue=[[[[["sales"]]]]]), "queue", "wrong_type"),
    ]
    good = [_offered("good-1", now - 30), _offered("good-2", now - 20, queue="support")]
    try:
        process.read_line(30)
        for what, (body, chunked, status, message) in whole_request_refusals.items():
            answer_status, answer = _post(admin, body, chunked=chunked)
            assert (answer_status, message in str(answer["error"])) == (status, True), what

        status, answer = _post(admin, json.dumps([e for e, _, _ in refused_events] + good).encode())
        assert status == 200
        assert answer["accepted"] == 2
        assert [(r["index"], r["field"], r["code"]) for r in answer["rejected"]] == [
            (index, field, code) for index, (_, field, code) in enumerate(refused_events)
        ]
        status, again = _post(admin, json.dumps(good).encode())  # a retried batch
        assert (status, again["accepted"], again["duplicates"]) == (200, 0, 2)

        text = wait_for_series(
            metrics, 'kpi_targets_events_read_total{source="http"}', 2.0, "the accepted events"
        )
        time.sleep(1.5)  # nothing more may arrive: the refused events never reach the engine
        text = scrape(metrics)
        assert metric(text, 'kpi_targets_events_read_total{source="http"}') == 2.0
        for queue in ("sales", "support"):
            offered = f'contact_center_contacts_offered_total{{channel="voice",queue="{queue}"}}'
            assert metric(text, offered) == 1.0
        rejected = {
            reason: metric(
                text, f'kpi_targets_events_rejected_total{{reason="{reason}",source="http"}}'
            )
            for reason in ("out_of_range", "from_the_future", "wrong_type")
        }
        assert rejected == {"out_of_range": 4.0, "from_the_future": 1.0, "wrong_type": 1.0}
        assert "inf" not in text.lower().replace("info", "")  # no counter was turned into +Inf
    finally:
        assert process.stop() == 0, process.stderr
    assert "Traceback" not in process.stderr
    assert " 500 " not in process.stderr
