"""``exporter.logs``: logfmt and JSON lines, one per record, values escaped."""

from __future__ import annotations

import json
import logging
import sys

from exporter.logs import JsonFormatter, LogfmtFormatter


def _record(message: str, *args: object) -> logging.LogRecord:
    record = logging.LogRecord("exporter.serve", logging.WARNING, __file__, 1, message, args, None)
    record.created = 1772444400.5  # 2026-03-02T09:40:00.5Z
    return record


def test_logfmt_quotes_and_escapes_only_what_needs_it() -> None:
    line = LogfmtFormatter().format(_record('bad "x" in %s\nnext', "a=b"))
    fields = line.split(" ", 3)
    assert fields[0].startswith("time=2026-03-02T")
    assert fields[1:3] == ["level=warning", "logger=exporter.serve"]
    assert fields[3] == 'msg="bad \\"x\\" in a=b\\nnext"'
    assert LogfmtFormatter().format(_record("stopped")).endswith(" msg=stopped")


def test_json_is_one_object_per_line() -> None:
    line = JsonFormatter().format(_record("reload of %s failed\nsecond line", "serve.yaml"))
    assert "\n" not in line
    parsed = json.loads(line)
    assert parsed["level"] == "warning"
    assert parsed["logger"] == "exporter.serve"
    assert parsed["msg"] == "reload of serve.yaml failed\nsecond line"
    assert parsed["time"].startswith("2026-03-02T")


def test_an_exception_is_one_escaped_field() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        record = _record("failed")
        record.exc_info = sys.exc_info()
    line = LogfmtFormatter().format(record)
    assert "\n" not in line
    assert 'error="Traceback (most recent call last):\\n' in line
    assert json.loads(JsonFormatter().format(record))["error"].endswith("ValueError: boom")
