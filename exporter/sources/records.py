"""The contact-records source: a CSV (with a header line) or JSON Lines file of one row per
contact, read once or followed as rows are appended.

Each record gives several events at different times (offered, answered, ended, ...): they are handed
on in time order, over the whole file on a one-off read, and over each batch of appended rows when
following (a row is written once its contact is over, so all of its events are in the past).
Meaning and mapping are in ``records_parse``. CSV rows are read one line each (no line breaks
inside quoted values). A bad row is counted as rejected with its file:line and skipped.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from exporter.events import Event
from exporter.sources.base import EventStream, IngestStats, split_csv
from exporter.sources.follow import DEFAULT_POLL_INTERVAL_SECONDS, Line, follow_batches, read_lines
from exporter.sources.records_parse import RecordError, RecordMapping, RecordReader, RecordValue

SOURCE_NAME = "records"
RecordFormat = Literal["auto", "csv", "jsonl"]
_JSONL_SUFFIXES = frozenset({".jsonl", ".ndjson", ".json"})


class RecordsSource(EventStream):
    """Events from a contact-records file. Iterate it for a one-off read (replay), or ``run`` it.

    ``timezone`` reads local (offset-less) times, unless the mapping names its own zone.
    """

    name = SOURCE_NAME

    def __init__(
        self,
        path: Path,
        *,
        mapping: RecordMapping | None = None,
        follow: bool = False,
        timezone: ZoneInfo | None = None,
        record_format: RecordFormat = "auto",
        poll_interval: float = DEFAULT_POLL_INTERVAL_SECONDS,
    ) -> None:
        self.path = Path(path)
        self.reader = RecordReader(mapping, timezone)
        self.follow = follow
        self.record_format: RecordFormat = record_format
        self.poll_interval = poll_interval

    def events(self, stats: IngestStats, stop: threading.Event | None = None) -> Iterator[Event]:
        stop = stop or threading.Event()
        if self.follow:
            batches: Iterable[list[Line]] = follow_batches(
                self.path, stop, poll_interval=self.poll_interval
            )
        else:
            batches = [list(read_lines(self.path, stop))]
        rows = _RowReader(self.path, self._format())
        for batch in batches:
            produced: list[Event] = []
            for line in batch:
                try:
                    record = rows.record(line)
                    if record is not None:
                        produced += self.reader.events(record, f"{self.path.name}:{line.number}")
                except RecordError as error:
                    stats.rejected(
                        self.name,
                        error.reason,
                        where=f"{self.path}:{line.number}",
                        detail=error.detail,
                    )
                except Exception as error:  # a line nobody foresaw must not stop the source
                    stats.unforeseen(self.name, f"{self.path}:{line.number}", error)
            produced.sort(key=lambda event: event.at)  # stable: a contact's own order holds
            if produced:
                stats.read(self.name, len(produced))
            yield from produced

    def _format(self) -> Literal["csv", "jsonl"]:
        if self.record_format != "auto":
            return self.record_format
        return "jsonl" if self.path.suffix.lower() in _JSONL_SUFFIXES else "csv"


class _RowReader:
    """Lines to records: JSON objects, or CSV rows named by the header (the first line of the
    file, and again after a rotation or truncation starts a new file)."""

    def __init__(self, path: Path, record_format: Literal["csv", "jsonl"]) -> None:
        self.path = path
        self.record_format = record_format
        self.header: list[str] | None = None

    def record(self, line: Line) -> dict[str, RecordValue] | None:
        if not line.text.strip():
            return None
        if self.record_format == "jsonl":
            return _json_record(line.text)
        try:
            fields = split_csv(line.text)
        except ValueError as error:
            raise RecordError("bad_csv", str(error)) from None
        if line.number == 1:
            self.header = [name.strip() for name in fields]
            return None
        if self.header is None:
            raise RecordError("missing_header", "no CSV header line was read")
        if len(fields) != len(self.header):
            raise RecordError(
                "bad_field_count", f"{len(fields)} columns, the header has {len(self.header)}"
            )
        return dict(zip(self.header, fields, strict=True))


def _json_record(text: str) -> dict[str, RecordValue]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise RecordError("bad_json", str(error)) from None
    except RecursionError:
        raise RecordError("bad_json", "nested too deeply") from None
    except ValueError as error:  # an integer of more digits than Python converts
        raise RecordError("bad_json", str(error)) from None
    if not isinstance(value, dict):
        raise RecordError("bad_json", f"expected a JSON object, got {type(value).__name__}")
    if any(isinstance(item, dict | list) for item in value.values()):
        raise RecordError("bad_json", "values must be strings, numbers, booleans or null")
    return value
