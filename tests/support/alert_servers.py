"""Real receivers on 127.0.0.1 for the alert tests: an HTTP recorder (webhook, DingTalk and
WeCom robots that check payloads and signatures), Alertmanager, and an SMTP server (aiosmtpd)
with STARTTLS and AUTH. Each starts on a free port and stops when its context ends.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import shutil
import socket
import ssl
import subprocess
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.support.snmpsim import unavailable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Request:
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any


Responder = Callable[[Request], tuple[int, Any]]


@dataclass
class Recorder:
    """An HTTP server that answers every POST with ``respond`` and records those accepted."""

    respond: Responder = field(default=lambda r: (200, {"errcode": 0, "errmsg": "ok"}))
    requests: list[Request] = field(default_factory=list)
    port: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait(self, pred: Callable[[list[Request]], bool], timeout: float = 20.0) -> list[Request]:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self._lock:
                got = list(self.requests)
            if pred(got):
                return got
            time.sleep(0.05)
        raise AssertionError(f"timed out; received {got!r}")


@contextmanager
def recorder(respond: Responder | None = None) -> Iterator[Recorder]:
    rec = Recorder() if respond is None else Recorder(respond)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            parts = urlsplit(self.path)
            req = Request(parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()},
                          dict(self.headers.items()), json.loads(raw or b"null"))
            status, body = rec.respond(req)
            # Recorded = accepted: a 2xx answer without a robot error code.
            if status < 300 and not (isinstance(body, dict) and body.get("errcode", 0)):
                with rec._lock:
                    rec.requests.append(req)
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    rec.port = server.server_address[1]
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    try:
        yield rec
    finally:
        server.shutdown()
        server.server_close()


def dingtalk_responder(token: str, secret: str) -> Responder:
    """Checks DingTalk's access_token, timestamp (within an hour) and HMAC-SHA256 signature."""
    def respond(r: Request) -> tuple[int, Any]:
        if r.query.get("access_token") != token:
            return 200, {"errcode": 300001, "errmsg": "token is not exist"}
        ts = r.query.get("timestamp", "")
        if not ts.isdigit() or abs(int(ts) - time.time() * 1000) > 3600_000:
            return 200, {"errcode": 310000, "errmsg": "invalid timestamp"}
        mac = hmac.new(secret.encode(), f"{ts}\n{secret}".encode(), hashlib.sha256).digest()
        if r.query.get("sign") != base64.b64encode(mac).decode():
            return 200, {"errcode": 310000, "errmsg": "sign not match"}
        md = (r.body or {}).get("markdown", {})
        if r.body.get("msgtype") != "markdown" or not md.get("title") or not md.get("text"):
            return 200, {"errcode": 40035, "errmsg": "invalid markdown"}
        return 200, {"errcode": 0, "errmsg": "ok"}
    return respond


def wecom_responder(key: str) -> Responder:
    """Checks WeCom's key and markdown payload (content within 4096 bytes)."""
    def respond(r: Request) -> tuple[int, Any]:
        if r.query.get("key") != key:
            return 200, {"errcode": 93000, "errmsg": "invalid webhook url"}
        content = (r.body or {}).get("markdown", {}).get("content", "")
        if r.body.get("msgtype") != "markdown" or not content or \
                len(content.encode()) > 4096:
            return 200, {"errcode": 40058, "errmsg": "invalid content"}
        return 200, {"errcode": 0, "errmsg": "ok"}
    return respond


# --------------------------------------------------------------------------------- Alertmanager


@contextmanager
def alertmanager(webhook_url: str, tmp: Path) -> Iterator[str]:
    """A real Alertmanager forwarding every alert to ``webhook_url``; yields its base URL."""
    binary = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
    if binary is None:
        unavailable("prometheus-alertmanager not installed: run scripts/install-test-deps.sh")
    port = free_port()
    cfg = tmp / "alertmanager.yml"
    cfg.write_text(json.dumps({
        "route": {"receiver": "hook", "group_by": ["alertname", "site"], "group_wait": "1s",
                  "group_interval": "1s", "repeat_interval": "1h"},
        "receivers": [{"name": "hook", "webhook_configs": [
            {"url": webhook_url, "send_resolved": True}]}]}))
    log = (tmp / "alertmanager.log").open("w")
    proc = subprocess.Popen(
        [binary, f"--config.file={cfg}", f"--storage.path={tmp / 'am-data'}",
         f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address=",
         "--log.level=warn"], stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(f"{url}/-/ready", proc, tmp / "alertmanager.log")
        yield url
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()


def wait_ready(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 20) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"{url}: process exited: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} not ready after {timeout} s: {log.read_text()[-2000:]}")


# ------------------------------------------------------------------------------------------ SMTP


def self_signed(tmp: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key (PEM files)."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = tmp / "smtp.crt", tmp / "smtp.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


@dataclass
class Smtp:
    port: int
    ca_file: Path
    messages: list[Any]


@contextmanager
def smtp_server(tmp: Path, user: str, password: str) -> Iterator[Smtp]:
    """aiosmtpd on 127.0.0.1 requiring STARTTLS, then AUTH (LOGIN/PLAIN) as user/password."""
    try:
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult, LoginPassword
    except ImportError:
        unavailable("aiosmtpd not installed: pip install -e '.[dev]'")
    cert, key = self_signed(tmp)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    messages: list[Any] = []

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            messages.append(envelope)
            return "250 OK"

    def auth(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
        ok = isinstance(data, LoginPassword) and data.login == user.encode() and \
            data.password == password.encode()
        return AuthResult(success=ok, handled=False)

    port = free_port()
    ctl = Controller(Handler(), hostname="127.0.0.1", port=port, tls_context=ctx,
                     require_starttls=True, authenticator=auth, auth_require_tls=True)
    ctl.start()
    try:
        yield Smtp(port, cert, messages)
    finally:
        ctl.stop()
