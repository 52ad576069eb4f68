"""The Asterisk queue_log source: a queue_log file (or a CSV export of the queue_log table), read
once or followed as Asterisk writes it.

Parsing is in ``queue_log_parse`` (lines to entries), meaning in ``queue_log_interpret`` (entries
to events), tailing in ``follow``. A line that cannot be read is counted in ``IngestStats`` as
rejected, with its file and line number, and skipped: ingestion never stops on bad input.
"""

from __future__ import annotations

import math
import threading
from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path
from zoneinfo import ZoneInfo

from exporter.events import Event, EventList, EventReceiver, Stepper
from exporter.sources.base import EventStream, IngestStats
from exporter.sources.follow import (
    DEFAULT_POLL_INTERVAL_SECONDS,
    follow_lines,
    read_lines,
    text_blocks,
)
from exporter.sources.queue_log_agents import AgentMap
from exporter.sources.queue_log_interpret import QueueLogInterpreter
from exporter.sources.queue_log_parse import Layout, QueueLogLineError, QueueLogLineParser

SOURCE_NAME = "queue_log"
_READ_BATCH = 4096  # events counted in IngestStats at once when the file is read once


class QueueLogSource(EventStream):
    """Events from an Asterisk queue_log. Iterate it for a one-off read (replay), or ``run`` it.

    ``timezone`` is used only for table exports whose time column holds local date-times;
    ``agent_map`` says which agent each interface is (default: ``queue_log_agents.AgentMap()``).
    """

    name = SOURCE_NAME

    def __init__(
        self,
        path: Path,
        *,
        follow: bool = False,
        layout: Layout = "auto",
        agent_teams: Mapping[str, str] | None = None,
        agent_map: AgentMap | None = None,
        timezone: ZoneInfo | None = None,
        poll_interval: float = DEFAULT_POLL_INTERVAL_SECONDS,
    ) -> None:
        self.path = Path(path)
        self.follow = follow
        self.layout: Layout = layout
        self.agent_teams = dict(agent_teams or {})
        self.agent_map = agent_map or AgentMap()
        self.timezone = timezone or ZoneInfo("UTC")
        self.poll_interval = poll_interval
        # Of the last read: events skipped with a count (OUTCALL) and agent rings.
        self.skipped: Counter[str] = Counter()
        self.rings = 0

    def events(self, stats: IngestStats, stop: threading.Event | None = None) -> Iterator[Event]:
        stop = stop or threading.Event()
        lines = (
            follow_lines(self.path, stop, poll_interval=self.poll_interval)
            if self.follow
            else read_lines(self.path, stop)
        )
        parser, interpreter = self._reader()
        parse, feed, found = parser.parse, interpreter.feed, EventList()
        # Read once, events are counted in ``stats`` in batches, sparing a lock per line; a
        # followed file counts every line at once, for the live self-metrics.
        batch = 1 if self.follow else _READ_BATCH
        pending = 0
        try:
            for line in lines:
                try:
                    entry = parse(line.text)
                    if entry is not None:
                        feed(entry, found)
                except Exception as error:
                    self._refuse(stats, line.number, error)
                    continue
                if found:
                    pending += len(found)
                    if pending >= batch:
                        stats.read(self.name, pending)
                        pending = 0
                    yield from found
                    found.clear()
        finally:
            if pending:
                stats.read(self.name, pending)
            self.rings = interpreter.rings

    def feed(
        self, receiver: EventReceiver, stats: IngestStats, stepper: Stepper | None = None
    ) -> None:
        """Read the whole file once, handing its events to ``receiver`` by their fields: no
        Event objects, for replay and backfill of tens of millions of lines. Lines that cannot
        be read are counted in ``stats``; events are the receiver's to count. A ``stepper`` is
        told of each line's time first, when it is past its watch (every event of a line has
        the line's time)."""
        parser, interpreter = self._reader()

        def read_parsed(line: str, receiver: EventReceiver, watch: float) -> float | None:
            return interpreter.feed_by_watch(parser.parse(line), receiver, watch)

        watch = stepper.watch if stepper is not None else math.inf
        refusals = stepper.refusals if stepper is not None else []
        number = 0  # of the line before the block
        try:
            with self.path.open("rb") as handle:
                for lines, plain in text_blocks(handle):
                    # A plain line of the file layout is read by the interpreter itself.
                    read = (
                        interpreter.feed_line if plain and parser.layout == "file" else read_parsed
                    )
                    # numbering goes on from the block before (enumerate reads it once)
                    for number, text in enumerate(lines, number + 1):  # noqa: B020
                        try:
                            later = read(text, receiver, watch)
                        except Exception as error:
                            self._refuse(stats, number, error)
                            continue
                        if refusals:
                            self._refused(stats, number, refusals)
                        if later is None:
                            continue
                        # Stamped after the watch: step there first, then hand the line over.
                        # Outside the try: what the stepper raises (StopFeeding, a sample that
                        # cannot be written) ends the read.
                        assert stepper is not None  # the watch is infinite without one
                        watch = stepper.reach(later)
                        try:
                            read(text, receiver if later <= watch else stepper.past_end, math.inf)
                        except Exception as error:
                            self._refuse(stats, number, error)
                        if refusals:
                            self._refused(stats, number, refusals)
        finally:
            self.rings = interpreter.rings

    def _reader(self) -> tuple[QueueLogLineParser, QueueLogInterpreter]:
        """A new parser and interpreter, for one read of the file."""
        parser = QueueLogLineParser(self.layout, self.timezone)
        interpreter = QueueLogInterpreter(
            agent_teams=self.agent_teams, agent_map=self.agent_map, skipped=self.skipped
        )
        return parser, interpreter

    def _refused(self, stats: IngestStats, number: int, reasons: list[str]) -> None:
        """Say where the events the receiver refused (and counted) came from."""
        for reason in reasons:
            stats.refused_event(self.name, reason, f"{self.path}:{number}")
        reasons.clear()

    def _refuse(self, stats: IngestStats, number: int, error: Exception) -> None:
        """Count a line that cannot be read, and say where and why."""
        where = f"{self.path}:{number}"
        if isinstance(error, QueueLogLineError):
            stats.rejected(self.name, error.reason, where=where, detail=error.detail)
        else:  # a line nobody foresaw must not stop the source
            stats.unforeseen(self.name, where, error)
