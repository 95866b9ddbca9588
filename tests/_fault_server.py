"""A fault-injecting stand-in for the EC2 and EKS endpoints, on 127.0.0.1 only, for `--live` tests.

``FaultServer(behaviour)`` answers EC2 query calls (POST, ``Action=...``) and EKS REST calls (GET
/clusters/...) from ``behaviour``: a function ``(operation, params) -> Reply``. It is bounded: at most
``max_requests`` requests are answered (then the connection is closed), and it shuts itself down after
``lifetime`` seconds even if a test forgets to stop it. Every request's operation is recorded in
``calls``.
"""
from __future__ import annotations

import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self

EC2_NS = "http://ec2.amazonaws.com/doc/2016-11-15/"


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    content_type: str = "text/xml"
    drip: float = 0.0  # seconds between bytes of the body (a slow-drip server)
    silent: bool = False  # accept the request and never answer
    headers: dict[str, str] = field(default_factory=dict)


def ec2_xml(action: str, inner: str) -> Reply:
    return Reply(body=(f'<?xml version="1.0" encoding="UTF-8"?><{action}Response xmlns="{EC2_NS}">'
                       f"<requestId>r-1</requestId>{inner}</{action}Response>").encode())


def subnet_item(sid: str, cidr: str | None = "10.0.1.0/24", az: str | None = "us-east-1a",
                available: str | None = "240") -> str:
    parts = [f"<subnetId>{sid}</subnetId>", "<vpcId>vpc-1</vpcId>"]
    if cidr is not None:
        parts.append(f"<cidrBlock>{cidr}</cidrBlock>")
    if az is not None:
        parts.append(f"<availabilityZone>{az}</availabilityZone>")
    if available is not None:
        parts.append(f"<availableIpAddressCount>{available}</availableIpAddressCount>")
    return "<item>" + "".join(parts) + "</item>"


def json_reply(body: str, status: int = 200) -> Reply:
    return Reply(status=status, body=body.encode(), content_type="application/json")


class FaultServer:
    def __init__(self, behaviour: Callable[[str, dict], Reply], *, max_requests: int = 300,
                 lifetime: float = 60.0):
        self.behaviour = behaviour
        self.calls: list[str] = []
        self.max_requests = max_requests
        self._stop = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def _answer(self, op: str, params: dict) -> None:
                if len(outer.calls) >= outer.max_requests:
                    self.close_connection = True
                    return
                outer.calls.append(op)
                reply = outer.behaviour(op, params)
                if reply.silent:
                    outer._stop.wait(outer.lifetime)
                    self.close_connection = True
                    return
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(reply.body)))
                for k, v in reply.headers.items():
                    self.send_header(k, v)
                self.end_headers()
                if reply.drip:
                    for i in range(len(reply.body)):
                        if outer._stop.wait(reply.drip):
                            return
                        self.wfile.write(reply.body[i:i + 1])
                        self.wfile.flush()
                else:
                    self.wfile.write(reply.body)

            def do_POST(self):  # EC2 query protocol
                n = int(self.headers.get("Content-Length") or 0)
                form = urllib.parse.parse_qs(self.rfile.read(n).decode())
                params = {k: v[0] for k, v in form.items()}
                self._answer(params.get("Action", "?"), params)

            def do_GET(self):  # EKS REST
                path = urllib.parse.urlsplit(self.path).path
                parts = [p for p in path.split("/") if p]
                if parts[:1] == ["clusters"] and len(parts) == 2:
                    op = "DescribeCluster"
                elif parts[2:3] == ["node-groups"]:
                    op = "ListNodegroups" if len(parts) == 3 else "DescribeNodegroup"
                elif parts[2:3] == ["addons"]:
                    op = "DescribeAddon" if len(parts) == 4 else "ListAddons"
                else:
                    op = "GET " + path
                self._answer(op, {"path": parts})

        self.lifetime = lifetime
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._timer = threading.Timer(lifetime, self.stop)
        self._timer.daemon = True
        self._started = time.monotonic()

    def __enter__(self) -> Self:
        self._thread.start()
        self._timer.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        self._timer.cancel()
        threading.Thread(target=self.httpd.shutdown, daemon=True).start()
        self._thread.join(2)
        self.httpd.server_close()
