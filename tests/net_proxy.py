"""A TCP forwarder between the browser and the app that can cut the network: down() closes
every open connection (the page's websocket breaks, as on a phone that loses signal) and
refuses new ones until up().

Chromium's own offline switch (context.set_offline) is not enough on its own: it holds the
frames of a websocket that is already open to 127.0.0.1 and delivers them when it is switched
back, so the page never sees the connection drop (measured with Streamlit 1.67: the app stayed
'CONNECTED' through 40 s offline)."""

from __future__ import annotations

import socket
import threading


class CuttableProxy:
    def __init__(self, target_port: int, host: str = "127.0.0.1"):
        self.target = (host, target_port)
        self._listener = socket.create_server((host, 0))
        self.port = self._listener.getsockname()[1]
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._up = True
        self._held = False  # what the app sends is lost (not closed: the page does not know)
        self._closed = False
        threading.Thread(target=self._accept, daemon=True, name="proxy-accept").start()

    @property
    def url(self) -> str:
        return f"http://{self.target[0]}:{self.port}"

    def down(self) -> None:
        with self._lock:
            self._up = False
            for s in self._open:
                _shut(s)
            self._open.clear()

    def up(self) -> None:
        with self._lock:
            self._up, self._held = True, False

    def hold(self) -> None:
        """From now on what the app sends is lost until down() (a signal that fades before
        it drops: the page's taps still reach the app, its answers never arrive)."""
        with self._lock:
            self._held = True

    def close(self) -> None:
        self._closed = True
        self.down()
        self._listener.close()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                if not self._up:
                    _shut(client)  # refused: no signal
                    continue
            try:
                server = socket.create_connection(self.target, timeout=5)
            except OSError:
                _shut(client)
                continue
            server.settimeout(None)
            with self._lock:
                self._open.update((client, server))
            for a, b, held in ((client, server, False), (server, client, True)):
                threading.Thread(target=self._pump, args=(a, b, held), daemon=True,
                                 name="proxy-pump").start()

    def _pump(self, source: socket.socket, sink: socket.socket, can_hold: bool) -> None:
        try:
            while data := source.recv(65536):
                if not (can_hold and self._held):
                    sink.sendall(data)
        except OSError:
            pass
        finally:
            with self._lock:
                self._open.discard(source)
                self._open.discard(sink)
            _shut(source)
            _shut(sink)


def _shut(s: socket.socket) -> None:
    try:
        s.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    s.close()
