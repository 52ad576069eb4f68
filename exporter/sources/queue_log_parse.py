"""Asterisk queue_log lines and table rows to ``QueueLogEntry`` values (pure, no I/O).

Two layouts carry the same events:

- **file**: ``epoch|callid|queue|agent|EVENT|data1|data2|...``, what Asterisk writes to
  ``/var/log/asterisk/queue_log`` (FreePBX, Issabel, Wazo, ...);
- **table**: a CSV export of a queue_log database table, with a header line. Two headers are known:
  Asterisk's realtime table ``time,callid,queuename,agent,event,data1..data5`` (or one ``data``
  column holding ``data1|data2|...``), and Bicom PBXware's
  ``uid,date_time,callid,queue_name,type,event,param1,param2,param3,entpos,expos,htime,ttime,time``.

Table rows are translated to the data fields Asterisk would have written in the file layout, so the
events are interpreted in one place (``queue_log_interpret``). Times are epoch seconds; a table's
time column may instead hold a ``YYYY-MM-DD HH:MM:SS[.ffffff]`` local time, read in the time zone
given.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, NamedTuple, TypeVar
from zoneinfo import ZoneInfo

from exporter.sources.base import split_csv

Layout = Literal["auto", "file", "table"]

FILE_LAYOUT_MIN_FIELDS = 5  # epoch, callid, queue, agent, event

# Asterisk writes NONE where a line has no call, queue or agent.
NONE_VALUE = "NONE"


class QueueLogLineError(ValueError):
    """A line that cannot be read; ``reason`` is a short stable tag for counting."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


class QueueLogEntry(NamedTuple):
    """One line, by field name; ``parse_file_line`` builds a plain ``Entry`` tuple of the same
    fields, a quarter of the cost (and replay reads plain lines without either:
    ``QueueLogInterpreter.feed_line``)."""

    at: float
    callid: str  # "" when NONE
    queue: str  # "" when NONE
    agent: str  # "" when NONE (the interface as written)
    event: str
    data: tuple[str, ...]  # data1, data2, ... as in the file layout


# (at, callid, queue, agent, event, data), as in ``QueueLogEntry``.
Entry = tuple[float, str, str, str, str, tuple[str, ...]]
DataFields = TypeVar("DataFields", tuple[str, ...], list[str])


def _named(value: str) -> str:
    value = value.strip()
    return "" if value == NONE_VALUE else value


def parse_epoch(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise QueueLogLineError("bad_timestamp", f"not an epoch time: {text!r}") from None
    if value != value or value < 0:  # NaN or negative
        raise QueueLogLineError("bad_timestamp", f"not an epoch time: {text!r}")
    return value


def parse_time(text: str, timezone: ZoneInfo) -> float:
    """Epoch seconds, or a local ``YYYY-MM-DD HH:MM:SS[.ffffff]`` (ISO-8601 with offset too)."""
    text = text.strip()
    try:
        return parse_epoch(text)
    except QueueLogLineError:
        pass
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise QueueLogLineError("bad_timestamp", f"not a time: {text!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone)
    return moment.timestamp()


def parse_file_line(line: str, strip: bool = True) -> Entry | None:
    """The entry of a file-layout line, None for an empty one. ``strip=False`` for a line known
    to hold no blank and no \\r (a *plain* line, see ``follow.text_blocks``): none of its fields
    needs stripping."""
    if not line:
        return None
    fields = line.split("|")
    if strip:
        # The time is left as written: float() skips blanks itself, and an error quotes it as is.
        fields[1:] = [field.strip() for field in fields[1:]]
    if len(fields) < FILE_LAYOUT_MIN_FIELDS:
        raise QueueLogLineError(
            "bad_field_count",
            f"{len(fields)} fields, a queue_log line has at least {FILE_LAYOUT_MIN_FIELDS}",
        )
    # Indexed rather than unpacked from a slice, and parse_epoch and _named inline: this runs
    # for every line of files of tens of millions of lines.
    epoch, callid, queue, agent = fields[0], fields[1], fields[2], fields[3]
    event = fields[4].upper()
    if not event:
        raise QueueLogLineError("bad_field_count", "no event name")
    try:
        at = float(epoch)  # float() itself skips blanks; parse_epoch explains a bad time
    except ValueError:
        at = parse_epoch(epoch)
    if not at >= 0:  # negative or NaN
        parse_epoch(epoch)
    data = tuple(fields[FILE_LAYOUT_MIN_FIELDS:])
    return (
        at,
        "" if callid == NONE_VALUE else callid,
        "" if queue == NONE_VALUE else queue,
        "" if agent == NONE_VALUE else agent,
        event,
        data if not data or data[-1] else trim_data(data),
    )


def trim_data(data: DataFields) -> DataFields:
    """Without trailing empty fields (tables pad every row to data5)."""
    if not data or data[-1]:
        return data  # the usual case, answered without a copy
    end = len(data)
    while end and not data[end - 1]:
        end -= 1
    return data[:end]


PBXWARE_COLUMNS = ("date_time", "callid", "queue_name", "event", "param1", "param2", "param3")
REALTIME_COLUMNS = ("time", "callid", "queuename", "agent", "event")


@dataclass(frozen=True, slots=True)
class TableHeader:
    """Which known table layout a header names, and where each column is."""

    kind: Literal["pbxware", "realtime"]
    index: dict[str, int]


def parse_table_header(fields: list[str]) -> TableHeader | None:
    """The layout a CSV header line names, or None when it is not a known queue_log header."""
    index = {name.strip().lower(): position for position, name in enumerate(fields)}
    if all(column in index for column in PBXWARE_COLUMNS):
        return TableHeader("pbxware", index)
    if all(column in index for column in REALTIME_COLUMNS) and (
        "data" in index or "data1" in index
    ):
        return TableHeader("realtime", index)
    return None


def split_csv_line(line: str) -> list[str]:
    try:
        return split_csv(line)
    except ValueError as error:
        raise QueueLogLineError("bad_csv", str(error)) from None


def looks_like_file_layout(line: str) -> bool:
    first = line.split("|", 1)[0].strip()
    return "|" in line and first.replace(".", "", 1).isdigit()


def parse_table_row(fields: list[str], header: TableHeader, timezone: ZoneInfo) -> Entry:
    if len(fields) != len(header.index):
        raise QueueLogLineError(
            "bad_field_count", f"{len(fields)} columns, the header has {len(header.index)}"
        )
    if header.kind == "pbxware":
        return _pbxware_row(fields, header.index, timezone)
    return _realtime_row(fields, header.index, timezone)


def _realtime_row(fields: list[str], index: dict[str, int], timezone: ZoneInfo) -> QueueLogEntry:
    if "data1" in index:
        data = tuple(fields[index[f"data{n}"]].strip() for n in range(1, 6) if f"data{n}" in index)
    else:
        data = tuple(part.strip() for part in fields[index["data"]].split("|"))
    return QueueLogEntry(
        at=parse_time(fields[index["time"]], timezone),
        callid=_named(fields[index["callid"]]),
        queue=_named(fields[index["queuename"]]),
        agent=_named(fields[index["agent"]]),
        event=fields[index["event"]].strip().upper(),
        data=trim_data(data),
    )


def _pbxware_row(fields: list[str], index: dict[str, int], timezone: ZoneInfo) -> QueueLogEntry:
    def column(name: str) -> str:
        position = index.get(name)
        return fields[position].strip() if position is not None else ""

    event = column("event").upper()
    # PBXware names the agent column "type" (queue member or NONE).
    agent = column("type") if "type" in index else column("agent")
    return QueueLogEntry(
        at=parse_time(column("date_time"), timezone),
        callid=_named(column("callid")),
        queue=_named(column("queue_name")),
        agent=_named(agent),
        event=event,
        data=trim_data(_pbxware_data(event, column)),
    )


def _pbxware_data(event: str, column: Callable[[str], str]) -> tuple[str, ...]:
    """The file-layout data fields for a PBXware row: PBXware moves the times and positions
    Asterisk writes as data fields into the htime/ttime/entpos/expos columns."""
    hold, talk = column("htime"), column("ttime")
    original_position, position = column("entpos"), column("expos")
    if event == "CONNECT":
        return (hold, column("param2"), column("param3"))
    if event in ("COMPLETECALLER", "COMPLETEAGENT"):
        return (hold, talk, original_position)
    if event in ("ABANDON", "EXITWITHTIMEOUT", "EXITEMPTY", "WITHDRAW"):
        return (position, original_position, hold)
    if event == "EXITWITHKEY":
        return (column("param1"), position, original_position, hold)
    if event in ("RINGNOANSWER", "RINGCANCELED"):
        return (hold,)  # ring time in milliseconds
    if event in ("TRANSFER", "BLINDTRANSFER", "ATTENDEDTRANSFER"):
        return (column("param2"), column("param3"), hold, talk, original_position)
    return (column("param1"), column("param2"), column("param3"))


class QueueLogLineParser:
    """Reads the lines of one queue_log stream in order, finding its layout from the first line
    (``layout="auto"``) and re-reading a table header wherever one appears (a rotated export
    starts with its header again)."""

    def __init__(self, layout: Layout = "auto", timezone: ZoneInfo | None = None) -> None:
        self.layout: Layout = layout
        self.timezone = timezone or ZoneInfo("UTC")
        self._header: TableHeader | None = None

    def parse(self, line: str) -> Entry | None:
        """The entry on a line, None for a blank or header line; raises ``QueueLogLineError``."""
        if not line or line.isspace():
            return None
        if "\r" in line:  # a line ending in \r\n arrives without it: this one is inside
            raise QueueLogLineError("bad_line", "a carriage return (\\r) inside the line")
        if self.layout == "file" or (self.layout == "auto" and looks_like_file_layout(line)):
            self.layout = "file"
            return parse_file_line(line)
        fields = split_csv_line(line)
        header = parse_table_header(fields)
        if header is not None:
            self.layout = "table"
            self._header = header
            return None
        if self._header is None:
            # Until a line shows the layout, nothing else can be read (and "auto" stays open).
            raise QueueLogLineError(
                "unknown_layout",
                "neither a queue_log line (epoch|callid|queue|agent|EVENT|...) nor a known "
                "table header (time,callid,queuename,agent,event,data1.. or PBXware's "
                "uid,date_time,callid,queue_name,type,event,param1..)",
            )
        return parse_table_row(fields, self._header, self.timezone)
