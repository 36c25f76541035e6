"""Serving the app with uvicorn: the socket bound before anything is said, and timeouts on slow clients.

:func:`listen` binds and listens first, so a port already in use is an error naming the
port (``narratrace serve`` used to say "serving on ..." and then die). :func:`server_for`
configures uvicorn's h11 protocol with a deadline for each request's headers: uvicorn
0.54 has a keep-alive timeout (an idle connection between requests) but none while it
reads a request, so a client sending half its headers held a connection for ever.
"""

from __future__ import annotations

import asyncio
import logging
import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from narratrace.errors import ConfigError

__all__ = ["HEADER_TIMEOUT", "KEEP_ALIVE_TIMEOUT", "SHUTDOWN_TIMEOUT", "listen", "serve", "served_in_thread",
           "server_for"]

log = logging.getLogger(__name__)
log.addHandler(logging.NullHandler())

HEADER_TIMEOUT = 10.0
"""Seconds a client has to send a request's headers, from its first byte (or from connecting)."""
KEEP_ALIVE_TIMEOUT = 5
"""Seconds an idle keep-alive connection stays open between requests (uvicorn's ``timeout_keep_alive``)."""
SHUTDOWN_TIMEOUT = 1
"""Seconds requests in flight get to finish after SIGTERM or Ctrl-C."""

_TIMEOUT_RESPONSE = (b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\n"
                     b"connection: close\r\ncontent-length: 39\r\n\r\nthe request headers did not come in time")


def listen(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port`` and listening; :class:`ConfigError` naming both when it cannot be."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise ConfigError(f"cannot listen on {host}:{port}: unknown host ({exc.strerror})") from exc
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does: not SO_REUSEPORT
        sock.bind(address)
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        why = "the port is already in use" if exc.errno in (98, 48, 10048) else (exc.strerror or str(exc))
        raise ConfigError(f"cannot listen on {host}:{port}: {why}") from exc
    sock.set_inheritable(True)
    return sock


def _protocol(header_timeout: float) -> type[asyncio.Protocol]:
    """uvicorn's h11 protocol, closing a connection whose request headers take over ``header_timeout`` s."""
    import h11
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class TimedH11Protocol(H11Protocol):  # type: ignore[misc]
        _header_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm()

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            if self.conn.their_state is h11.IDLE:
                self._arm()  # not re-armed by later bytes: the deadline runs from the first
            else:
                self._disarm()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._disarm()  # idle until the next request: the keep-alive timeout's to close

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _arm(self) -> None:
            if self._header_timer is None:
                self._header_timer = self.loop.call_later(header_timeout, self._timed_out)

        def _disarm(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None

        def _timed_out(self) -> None:
            self._header_timer = None
            if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
                log.info("closing %s: request headers not complete after %s s", self.client, header_timeout)
                self.transport.write(_TIMEOUT_RESPONSE)
                self.transport.close()

    return TimedH11Protocol


def server_for(app: Any, *, header_timeout: float = HEADER_TIMEOUT,
               keep_alive: int = KEEP_ALIVE_TIMEOUT) -> Any:
    """A ``uvicorn.Server`` for ``app`` with the timeouts above (run it with ``sockets=[listen(...)]``)."""
    import uvicorn

    config = uvicorn.Config(app, http=_protocol(header_timeout), timeout_keep_alive=keep_alive,
                            timeout_graceful_shutdown=SHUTDOWN_TIMEOUT, log_level="warning", lifespan="on")
    return uvicorn.Server(config)


def serve(app: Any, *, host: str, port: int, on_listen: Callable[[str, int], None] | None = None,
          workers: int = 1) -> None:
    """Serve ``app`` on ``host:port`` until SIGTERM or Ctrl-C; ``on_listen(host, port)`` once the socket is bound.

    ``workers`` > 1 forks that many server processes after binding: they accept on the one socket (the
    kernel spreads connections), so a page's CPU time is spent on every core instead of one (pages are
    Python, one GIL per process). The parent only waits, and passes SIGTERM / Ctrl-C on to them.
    """
    sock = listen(host, port)
    try:
        bound = sock.getsockname()
        if on_listen is not None:
            on_listen(host, int(bound[1]))
        if workers <= 1:
            server_for(app).run(sockets=[sock])
        else:
            _serve_forked(app, sock, workers)
    finally:
        sock.close()


def _serve_forked(app: Any, sock: socket.socket, workers: int) -> None:
    import os
    import signal

    children: list[int] = []
    for _ in range(workers):
        pid = os.fork()
        if pid == 0:  # a worker: the default handlers, so uvicorn installs its own and stops on SIGTERM
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            code = 0
            try:
                server_for(app).run(sockets=[sock])
            except BaseException:  # noqa: BLE001 (a worker never returns into the parent's code)
                code = 1
            os._exit(code)
        children.append(pid)
    try:
        while children:
            pid, _ = os.wait()
            if pid in children:
                children.remove(pid)
    finally:  # Ctrl-C or SIGTERM in the parent (raised as KeyboardInterrupt by the CLI): stop the workers
        for pid in children:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for pid in children:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass


@contextlib.contextmanager
def served_in_thread(app: Any, *, start_timeout: float = 20.0) -> Iterator[str]:
    """``app`` served by uvicorn on a free loopback port in a background thread, for a browser to
    reach (the browser tests, ``make screenshots``); yields the base URL, stops the server after."""
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + start_timeout
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
