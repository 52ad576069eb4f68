"""The two HTTP servers of ``serve``: cheroot, a production WSGI server (a bounded pool of worker
threads, a read timeout so idle or slow connections cannot pile up, TLS), with the web config's
guard (``exporter.web_guard``) in front of each app.

cheroot rather than waitress (no TLS) or prometheus_client's own server (wsgiref, one thread per
connection, no read timeout): it gives both ports the same TLS, timeouts and thread bound.

``metrics_app`` is the metrics port: a landing page at ``/`` linking to ``/metrics``,
``/metrics`` (with ``?name[]=`` filtering, gzip and OpenMetrics negotiation by
prometheus_client), and 404 for anything else.
"""

from __future__ import annotations

import errno
import html
import logging
import re
import socket
import ssl
import sys
import threading
from collections.abc import Callable, Iterable
from typing import Any

from cheroot import wsgi
from cheroot.ssl import Adapter
from cheroot.ssl.builtin import BuiltinSSLAdapter
from prometheus_client import CollectorRegistry, make_wsgi_app

from exporter import __version__
from exporter.config import Address
from exporter.web_guard import TLS_SOCKET, StartResponse, WsgiApp

log = logging.getLogger(__name__)

READ_TIMEOUT_SECONDS = 10  # a connection that sends nothing for this long is closed
WORKER_THREADS = 8  # requests served at once per port; more connections wait in the queue
_SHUTDOWN_SECONDS = 5


def landing_page(title: str, links: Iterable[tuple[str, str]], note: str | None = None) -> bytes:
    items = "".join(
        f'<li><a href="{html.escape(href)}">{html.escape(text)}</a></li>' for href, text in links
    )
    noted = f"<p>{html.escape(note)}</p>" if note else ""
    return (
        '<!doctype html><html><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head><body><h1>{html.escape(title)}</h1>"
        f"<p>Version {html.escape(__version__)}</p>{noted}<ul>{items}</ul></body></html>\n"
    ).encode()


def metrics_app(
    registry: CollectorRegistry, clock_note: Callable[[], str | None] = lambda: None
) -> WsgiApp:
    """``/`` landing page (with ``clock_note()``, the simulated time, when there is one),
    ``/metrics`` exposition (``?name[]=`` filters), 404 elsewhere."""
    exposition = make_wsgi_app(registry)

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/metrics":
            return exposition(environ, start_response)
        if path == "/":
            start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
            return [landing_page("KPI Targets exporter", [("/metrics", "Metrics")], clock_note())]
        start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8")])
        return [b"404 Not Found: the metrics are at /metrics\n"]

    return app


class _ContextAdapter(BuiltinSSLAdapter):
    """cheroot's TLS adapter on the SSLContext ``context()`` gives at each new connection (built
    by us and replaced on SIGHUP), not on files.

    The handshake happens on the first read, in a worker thread once the client has sent
    something, not in the thread accepting connections: a client that connects and stays silent
    cannot hold up everyone else's accept. The environ carries the TLS socket (``TLS_SOCKET``)
    for the client certificate checks of ``exporter.web_guard``.
    """

    def __init__(self, context: Callable[[], ssl.SSLContext]) -> None:
        Adapter.__init__(self, None, None)
        self._context = context
        self._server_env: dict[str, str] = {}

    def wrap(self, sock: socket.socket) -> tuple[ssl.SSLSocket, dict[str, Any]]:
        wrapped = self._context().wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return wrapped, {"wsgi.url_scheme": "https", "HTTPS": "on", TLS_SOCKET: wrapped}


class _Server(wsgi.Server):
    """cheroot hands a new connection straight to a worker thread, which then waits up to the read
    timeout for a request: a few silent connections would take every worker. Here a new
    connection first waits in cheroot's selector, like an idle keep-alive connection, and reaches
    a worker only once it has data (or is closed at the read timeout)."""

    def error_log(self, msg: str = "", level: int = logging.INFO, traceback: bool = False) -> None:
        """cheroot writes its messages to stderr; here they go through logging in the configured
        format. A client's own failure (gone mid-request, plain HTTP or a bad handshake on a TLS
        port) is logged at debug, without a traceback: it is not the exporter's problem."""
        if isinstance(sys.exc_info()[1], ssl.SSLError | ConnectionError | TimeoutError):
            level, traceback = logging.DEBUG, False
        log.log(
            level if level >= logging.WARNING else logging.DEBUG,
            "HTTP server on %s: %s",
            self.bind_addr,
            msg,
            exc_info=traceback,
        )

    def process_conn(self, conn: Any) -> None:
        if getattr(conn, "_kpi_targets_waited", False):
            super().process_conn(conn)
            return
        conn._kpi_targets_waited = True
        self._connections.put(conn)  # type: ignore[attr-defined]  # set by prepare()


class HttpServer:
    """One port: ``start()`` binds in the caller's thread (OSError says why not) and serves in a
    thread of its own; ``stop()`` waits for requests in flight. ``tls``: the TLS context in force,
    asked for at each connection."""

    def __init__(
        self,
        address: Address,
        app: WsgiApp,
        *,
        name: str,
        tls: Callable[[], ssl.SSLContext] | None = None,
    ) -> None:
        host = address.host or "::"  # every interface: cheroot makes "::" dual-stack
        self.name = name
        self._server = _Server(
            (host, address.port),
            app,
            numthreads=WORKER_THREADS,
            timeout=READ_TIMEOUT_SECONDS,
            shutdown_timeout=_SHUTDOWN_SECONDS,
            request_queue_size=64,
        )
        self._server.server_name = f"kpi-targets/{__version__}"
        if tls is not None:
            self._server.ssl_adapter = _ContextAdapter(tls)
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._server.prepare()
        self._thread = threading.Thread(target=self._server.serve, name=self.name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._server.stop()
            self._thread.join(_SHUTDOWN_SECONDS + 1)


def bind_error_reason(error: OSError) -> str:
    """Why a port could not be bound, in words (cheroot folds the errno into its message)."""
    found = re.search(r"\[Errno (\d+)\] ([^)]*)", str(error))
    number, reason = (int(found[1]), found[2]) if found else (error.errno, str(error))
    if number == errno.EADDRINUSE:
        return f"{reason} (another program uses that port; pick another)"
    return reason
