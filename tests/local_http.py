"""A local HTTP server for tests: the far side of an http step, a webhook receiver, an LLM provider."""

from __future__ import annotations

import contextlib
import http.server
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

__all__ = ["QuietHandler", "serving"]


class QuietHandler(http.server.BaseHTTPRequestHandler):
    """No access log on stderr: pytest would show it with every failure."""

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def serving(handler: Callable[..., http.server.BaseHTTPRequestHandler], name: str = "local-http") -> Iterator[str]:
    """Serve ``handler`` on a free loopback port in a thread until the block ends; yields ``http://127.0.0.1:PORT``."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True  # a hanging client must not hold up shutdown
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), name=name, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)
