"""The REST client against a hostile server: listed paths never make a download write outside
the folder the user chose."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from studio.errors import StoreError
from studio.tracking.rest import RestTrackingClient

LISTINGS = {
    "": [{"path": "model", "is_dir": True, "size": None}],
    "model": [{"path": "model/../../../escaped.txt", "is_dir": False, "size": 4}],
}


class HostileHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        url = urlparse(self.path)
        path = parse_qs(url.query).get("path", [""])[0]
        if url.path.endswith("/artifacts"):
            body = json.dumps({"path": path, "artifacts": LISTINGS.get(path, [])}).encode()
            content_type = "application/json"
        else:
            body, content_type = b"evil", "application/octet-stream"
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def hostile_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), HostileHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_listed_paths_cannot_escape_the_destination(hostile_server: str, tmp_path: Path) -> None:
    client = RestTrackingClient(hostile_server, timeout=10)
    destination = tmp_path / "a" / "b" / "downloads"
    destination.mkdir(parents=True)
    with pytest.raises(StoreError, match="outside"):
        client.download_artifacts("run", "model", destination)
    assert not list(tmp_path.rglob("escaped.txt"))
