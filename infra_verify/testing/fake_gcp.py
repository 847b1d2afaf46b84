"""A local fake of the GCP REST APIs, for tests and demos.

``FakeGcp`` is a threaded HTTP server on loopback that answers the read-only REST paths the
real Google client libraries call (compute v1, Cloud Run v2, VPC Access v1, Cloud DNS v1,
Cloud SQL Admin v1 and v1beta4, Certificate Manager v1, Artifact Registry v1 tags) with the real
JSON shapes, and the one family of writes a check makes: Network Management Connectivity Tests
(:mod:`infra_verify.testing.fake_gcp_ops`). Point the
libraries at it with ``client_options={"api_endpoint": fake.url}`` and anonymous credentials.

Resources are keyed by their REST path without the host, e.g.
``compute/v1/projects/netra-staging/global/sslCertificates/netra-staging-cert``. A GET of a
collection path lists the resources directly under it, in the API's list envelope. The
collections, their envelopes and the shared-``v1/`` routing are tabled in
:mod:`infra_verify.testing.fake_gcp_routes`. Cloud DNS record sets live at
``dns/v1/projects/{p}/managedZones/{z}/rrsets/{name}/{type}`` (the rrsets ``get`` path).

A custom method's answer (a Cloud Run service's IAM policy) is stored at its own path,
``v2/projects/{p}/locations/{l}/services/{s}:getIamPolicy``, and never listed; an existing
service without one answers an empty policy, as the real API does. A project's IAM policy
(Resource Manager v1) is stored at ``v1/projects/{p}:getIamPolicy`` and answers the POST the
real method is.

Run ``python -m infra_verify.testing.fake_gcp --fixture FILE [--port N]`` to serve a fixture.
"""

from __future__ import annotations

import argparse
import copy
import datetime as _dt
import json
import signal
import sys
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import yaml

from infra_verify.testing.fake_gcp_ops import FakeOps
from infra_verify.testing.fake_gcp_routes import (
    POST_READS,
    Collection,
    canonical_path,
    collection_for_list,
    custom_method,
)
from infra_verify.testing.lifecycle import StartStop

__all__ = ["FOREVER", "FakeGcp", "RecordedRequest", "Reply", "load_fixture", "main"]

FOREVER = sys.maxsize
"""Pass as ``times=`` to :meth:`FakeGcp.inject` for a fault that never recovers."""

_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    502: "UNKNOWN",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
_REASONS = {404: "notFound", 403: "forbidden", 401: "required", 429: "rateLimitExceeded"}


@dataclass(frozen=True)
class RecordedRequest:
    """One request the fake received; header names are lower-case."""

    method: str
    path: str
    query: Mapping[str, list[str]]
    headers: Mapping[str, str]


@dataclass
class _Fault:
    prefix: str
    statuses: list[int]
    delay: float
    malformed: bool
    remaining: int
    answered: int = 0
    details: list[dict[str, Any]] = field(default_factory=list)
    message: str | None = None


@dataclass
class Reply:
    status: int
    body: bytes
    delay: float = 0.0
    extra_headers: dict[str, str] = field(default_factory=dict)


def _error_body(code: int, message: str, details: Sequence[Mapping[str, Any]] = ()) -> bytes:
    status = _STATUS_NAMES.get(code, "UNKNOWN")
    error: dict[str, Any] = {
        "code": code,
        "message": message,
        "status": status,
        "errors": [
            {"message": message, "domain": "global", "reason": _REASONS.get(code, "backendError")}
        ],
    }
    if details:
        error["details"] = [dict(d) for d in details]
    return json.dumps({"error": error}).encode()


def _check_json(value: Any, where: str) -> None:
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValueError(f"{where}: key {key!r} is not a string")
            _check_json(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_json(item, f"{where}[{index}]")
    elif isinstance(value, _dt.date | _dt.datetime):
        raise ValueError(f"{where}: YAML read {value!r} as a date; quote it to keep a string")
    elif value is not None and not isinstance(value, str | int | float | bool):
        raise ValueError(f"{where}: {type(value).__name__} is not a JSON value")


def load_fixture(path: str | Path) -> dict[str, dict[str, Any]]:
    """Read a YAML (or JSON) fixture: a mapping of REST path to resource."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: a fixture is a mapping of REST path to resource")
    for key, resource in data.items():
        if not isinstance(key, str) or not isinstance(resource, dict):
            raise ValueError(f"{path}: {key!r} must map a REST path to a resource mapping")
        _check_json(resource, f"{path}: {key}")
    return {canonical_path(key): value for key, value in data.items()}


def _deep_merge(target: dict[str, Any], changes: Mapping[str, Any]) -> None:
    for key, value in changes.items():
        if value is None:
            target.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(target.get(key), dict):
            _deep_merge(target[key], value)
        else:
            target[key] = copy.deepcopy(value)


class FakeGcp(StartStop):
    """A local fake of the GCP REST APIs."""

    def __init__(
        self,
        resources: Mapping[str, Any] | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        page_size: int | None = None,
    ) -> None:
        self._lock = threading.Lock()
        self._resources: dict[str, dict[str, Any]] = {}
        self._faults: list[_Fault] = []
        self._host = host
        self._port = port
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.page_size = page_size
        self.requests: list[RecordedRequest] = []
        self.ops = FakeOps()
        """The writes it answers (Connectivity Tests), see fake_gcp_ops."""
        for path, resource in (resources or {}).items():
            self.put(path, resource)

    @classmethod
    def from_file(cls, path: str | Path, **kwargs: Any) -> FakeGcp:
        """Build a fake serving the resources of a YAML or JSON fixture file."""
        return cls(load_fixture(path), **kwargs)

    @property
    def url(self) -> str:
        """The base URL to use as every API's endpoint, e.g. ``http://127.0.0.1:PORT``."""
        if self._server is None:
            raise RuntimeError("FakeGcp is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FakeGcp:
        """Start serving in a background thread and return self."""
        if self._server is not None:
            return self
        self._stopping.clear()
        server = ThreadingHTTPServer((self._host, self._port), _make_handler(self))
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; delayed answers in flight are cut short."""
        self._stopping.set()
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def put(self, path: str, resource: Mapping[str, Any]) -> None:
        """Create or replace the resource at a REST path."""
        with self._lock:
            self._resources[canonical_path(path)] = copy.deepcopy(dict(resource))

    def patch(self, path: str, changes: Mapping[str, Any]) -> None:
        """Deep-merge changes into an existing resource; a ``None`` value removes the key."""
        with self._lock:
            _deep_merge(self._resources[canonical_path(path)], changes)

    def delete(self, path: str) -> None:
        """Remove the resource at a REST path."""
        with self._lock:
            del self._resources[canonical_path(path)]

    def get(self, path: str) -> dict[str, Any]:
        """A copy of the stored resource at a REST path."""
        with self._lock:
            return copy.deepcopy(self._resources[canonical_path(path)])

    def inject(
        self,
        path_prefix: str,
        *,
        statuses: Sequence[int] = (),
        delay: float = 0,
        malformed: bool = False,
        times: int | None = None,
        details: Sequence[Mapping[str, Any]] = (),
        message: str | None = None,
    ) -> None:
        """Make the next requests under ``path_prefix`` fail, slow down or return bad JSON.

        ``statuses`` are answered in order, the last one repeating while ``times`` lasts;
        ``times`` defaults to ``len(statuses)``, or to every request when no status is given.
        Use ``times=FOREVER`` for a fault that never recovers. ``details`` and ``message`` make
        the error body the real APIs send: ``details`` entries such as ``{"@type":
        "type.googleapis.com/google.rpc.ErrorInfo", "reason": "SERVICE_DISABLED", "domain":
        "googleapis.com", "metadata": {...}}``, ``message`` the server's words.
        """
        count = times if times is not None else (len(statuses) or FOREVER)
        fault = _Fault(
            canonical_path(path_prefix),
            list(statuses),
            delay,
            malformed,
            count,
            details=[dict(d) for d in details],
            message=message,
        )
        with self._lock:
            self._faults.append(fault)

    def clear_faults(self) -> None:
        """Forget every injected fault."""
        with self._lock:
            self._faults.clear()

    def _take_fault(self, path: str) -> _Fault | None:
        for fault in self._faults:
            if fault.remaining > 0 and path.startswith(fault.prefix):
                fault.remaining -= 1
                fault.answered += 1
                return fault
        return None

    def answer(
        self, method: str, raw_path: str, headers: Mapping[str, str], body: bytes = b""
    ) -> Reply:
        """Record one request and compute the reply (the HTTP handler only writes it)."""
        split = urlsplit(raw_path)
        path = canonical_path(unquote(split.path))
        query = parse_qs(split.query, keep_blank_values=True)
        with self._lock:
            self.requests.append(RecordedRequest(method, path, query, dict(headers)))
            fault = self._take_fault(path)
            reply = self._answer_locked(method, path, query, body)
        if fault is not None:
            reply.delay = fault.delay
            if fault.statuses:
                code = fault.statuses[min(fault.answered, len(fault.statuses)) - 1]
                said = fault.message or f"injected HTTP {code}"
                reply = Reply(code, _error_body(code, said, fault.details), fault.delay)
            elif fault.malformed:
                reply = Reply(200, b'{"name": "truncated', fault.delay)
        return reply

    def _answer_locked(
        self, method: str, path: str, query: Mapping[str, list[str]], body: bytes = b""
    ) -> Reply:
        if method != "GET" and not (method == "POST" and custom_method(path) in POST_READS):
            written = self.ops.answer(self._resources, method, path, query, body)
            if written is None:
                return Reply(501, _error_body(501, f"the fake GCP API is read-only: {method}"))
            code, value = written
            if isinstance(value, str):
                return Reply(code, _error_body(code, value))
            return Reply(code, json.dumps(value).encode())
        self.ops.on_get(self._resources, path)
        if path in self._resources:
            return Reply(200, json.dumps(self._resources[path]).encode())
        if custom_method(path) == "getIamPolicy" and path.rsplit(":", 1)[0] in self._resources:
            # the real API: a resource without bindings has an empty policy, never a 404
            return Reply(200, json.dumps({"etag": "ACAB"}).encode())
        collection = collection_for_list(path)
        if collection is None:
            return Reply(404, _error_body(404, f"The resource '{path}' was not found"))
        parent = path.rsplit("/", 1)[0]
        if collection.parent_must_exist and parent not in self._resources:
            return Reply(404, _error_body(404, f"The resource '{parent}' was not found"))
        return self._list_locked(collection, path, query)

    def _list_locked(
        self, collection: Collection, path: str, query: Mapping[str, list[str]]
    ) -> Reply:
        prefix = path + "/"
        items = [
            resource
            for key, resource in sorted(self._resources.items())
            if key.startswith(prefix)
            and key[len(prefix) :].count("/") == collection.depth - 1
            and not custom_method(key)
        ]
        if collection.api == "dns.v1":
            items = _filter(items, query)
        sizes = [s for s in (self.page_size, _int_param(query, collection.page_size_param)) if s]
        start = 0
        token = query.get("pageToken", [""])[0]
        if token:
            if not token.startswith("o") or not token[1:].isdigit():
                return Reply(400, _error_body(400, f"Invalid value for pageToken: {token!r}"))
            start = int(token[1:])
        stop = start + min(sizes) if sizes else len(items)
        body: dict[str, Any] = {}
        if collection.list_kind:
            body["kind"] = collection.list_kind
        if collection.api == "compute.v1":
            body["selfLink"] = f"https://www.googleapis.com/{path}"
        if items[start:stop]:
            body[collection.items_key] = items[start:stop]
        if stop < len(items):
            body["nextPageToken"] = f"o{stop}"
        return Reply(200, json.dumps(body).encode())


def _int_param(query: Mapping[str, list[str]], name: str) -> int | None:
    value = query.get(name, [""])[0]
    return int(value) if value.isdigit() and int(value) > 0 else None


def _fqdn(name: str) -> str:
    return name.lower() if name.endswith(".") else name.lower() + "."


def _filter(items: list[dict[str, Any]], query: Mapping[str, list[str]]) -> list[dict[str, Any]]:
    """Apply the Cloud DNS list filters: rrsets ``name``/``type``, managedZones ``dnsName``."""
    if name := query.get("name", [""])[0]:
        items = [i for i in items if _fqdn(str(i.get("name", ""))) == _fqdn(name)]
    if rtype := query.get("type", [""])[0]:
        items = [i for i in items if i.get("type") == rtype]
    if dns_name := query.get("dnsName", [""])[0]:
        items = [i for i in items if _fqdn(str(i.get("dnsName", ""))) == _fqdn(dns_name)]
    return items


def _make_handler(fake: FakeGcp) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            reply = fake.answer(self.command, self.path, headers, body)
            if reply.delay and fake._stopping.wait(reply.delay):
                return
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:
            """Stay quiet; tests read ``FakeGcp.requests`` instead."""

    return _Handler


def main(argv: Sequence[str] | None = None) -> int:
    """Serve a fixture file and print the URL to use as every API endpoint."""
    parser = argparse.ArgumentParser(
        prog="python -m infra_verify.testing.fake_gcp",
        description="Serve a local fake of the GCP REST APIs from a YAML/JSON fixture.",
    )
    parser.add_argument("--fixture", required=True, help="YAML or JSON file of REST resources")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default loopback)")
    parser.add_argument("--port", type=int, default=0, help="port (default: any free port)")
    parser.add_argument("--page-size", type=int, default=None, help="page every list")
    args = parser.parse_args(argv)
    done = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        done.set()

    signal.signal(signal.SIGTERM, _stop)
    with FakeGcp.from_file(
        args.fixture, host=args.host, port=args.port, page_size=args.page_size
    ) as fake:
        print(f"fake GCP serving {args.fixture} at {fake.url}", flush=True)
        print(f"FAKE_GCP_URL={fake.url}", flush=True)
        try:
            while not done.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
