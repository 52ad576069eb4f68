"""A real admin server for the durability tests: ``python tests/http_events_server.py JOURNAL``.

Serves ``create_app`` with werkzeug on 127.0.0.1 and an ephemeral port (printed on stdout as
``listening <url>``), the token taken from ``$KPI_TARGETS_EVENTS_TOKEN``, an HttpEventSource on the
journal feeding a sink that records each event's contact id; ``GET /test/delivered`` reports them
so the test can check what a restarted process replayed.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

from flask import Response, jsonify
from werkzeug.serving import make_server

from exporter.admin import create_app
from exporter.events import Event
from exporter.sources.base import IngestStats
from exporter.sources.http_events import HttpEventSource, load_events_token
from exporter.sources.journal import EventJournal


def main(journal_path: str) -> None:
    source = HttpEventSource(EventJournal(Path(journal_path)))
    delivered: list[str] = []
    lock = threading.Lock()

    def sink(event: Event) -> None:
        with lock:
            delivered.append(getattr(event, "contact_id", event.at))

    app = create_app(http_events=source, events_token=load_events_token())

    @app.get("/test/delivered")
    def report() -> Response:
        with lock:
            return jsonify(
                {
                    "replay_done": source.replay_done.is_set(),
                    "replayed": source.replayed,
                    "contact_ids": list(delivered),
                }
            )

    stop = threading.Event()
    threading.Thread(target=source.run, args=(sink, IngestStats(), stop), daemon=True).start()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    print(f"listening http://127.0.0.1:{server.port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1])
