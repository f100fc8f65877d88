"""Load on the web application: 50 simulated users on loopback against a commune of 3,000 households.

    python benchmarks/web_load.py                       # the figures of benchmarks/README.md
    python benchmarks/web_load.py --households 600 --users 10 --requests 10 --classify 500   # quick

What it does, all on 127.0.0.1 and bounded (a fixed number of requests, a time limit per request):

1. generates a synthetic commune (``tools.population``, seed 2026) and starts ``chuan-ngheo serve`` in a
   child process on a fresh register (SQLite in a temporary folder), with one officer account;
2. **import**: uploads the commune as one JSON file to the import page (import + classification, as a
   person would) and times the request; also times the register's import and classification alone;
3. **pages**: ``--users`` threads log in, then each reads ``--requests`` pages (round summary, a village's
   list, a class's list, a household's page with its explanation) with its own session; p50/p95/max per
   page kind and overall;
4. **classify**: ``--classify`` POST /api/v1/classify requests from ``--users`` threads; requests/s.

Not a test: nothing here asserts; the figures go to benchmarks/README.md by hand.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import random
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
HOST = "127.0.0.1"
TIMEOUT_S = 60


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


class Session:
    """One simulated person: a keep-alive connection and the cookies the server set."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection(HOST, port, timeout=TIMEOUT_S)
        self.cookies: dict[str, str] = {}

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, bytes, float]:
        head = dict(headers or {})
        if self.cookies:
            head["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        start = time.perf_counter()
        self.conn.request(method, path, body=body, headers=head)
        response = self.conn.getresponse()
        data = response.read()
        elapsed = time.perf_counter() - start
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                cookie = rest.split(";", 1)[0].strip('"')
                if cookie:
                    self.cookies[key] = cookie
                else:  # deleted by the server
                    self.cookies.pop(key, None)
        return response.status, data, elapsed

    def form(self, path: str, fields: dict[str, str]) -> tuple[int, bytes, float]:
        body = urllib.parse.urlencode(fields).encode()
        return self.request("POST", path, body, {"Content-Type": "application/x-www-form-urlencoded"})

    def log_in(self, password: str) -> None:
        _, page, _ = self.request("GET", "/login")
        token = re.search(rb'name="csrf_token" value="([^"]+)"', page).group(1).decode()  # type: ignore[union-attr]
        status, _, _ = self.form("/login", {"username": "admin", "password": password, "csrf_token": token})
        if status != 303:
            raise RuntimeError(f"log-in failed: {status}")


def _multipart(token: str, records: list[dict[str, Any]]) -> tuple[bytes, str]:
    boundary = secrets.token_hex(12)
    payload = json.dumps(records, ensure_ascii=False).encode()
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n'.encode(),
        f'--{boundary}\r\nContent-Disposition: form-data; name="households"; filename="xa.json"\r\n'
        "Content-Type: application/json\r\n\r\n".encode()
        + payload
        + b"\r\n",
        f"--{boundary}--\r\n".encode(),
    ]
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _in_process(records: list[dict[str, Any]], folder: Path) -> tuple[float, float]:
    """The register's import and classification alone (no HTTP), for the breakdown."""
    from classifier.register import Register

    path = folder / "xa.json"
    path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    register = Register.open(db=folder / "alone.sqlite")
    register.new_round("2026", year=2026, reference_date=dt.date(2026, 11, 1), who="bench")
    start = time.perf_counter()
    register.import_file("2026", path, who="bench")
    imported = time.perf_counter() - start
    start = time.perf_counter()
    register.classify("2026", who="bench")
    classified = time.perf_counter() - start
    register.close()
    return imported, classified


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--households", type=int, default=3000)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--requests", type=int, default=20, help="pages per user (after log-in)")
    parser.add_argument("--classify", type=int, default=3000, help="POST /api/v1/classify requests in all")
    parser.add_argument("--workers", type=int, default=1, help="server worker processes")
    parser.add_argument(
        "--think",
        type=float,
        default=1.0,
        help="mean seconds a person reads a page before the next one (uniform, ±50 %%; 0: back to back)",
    )
    args = parser.parse_args(argv)

    from tools.population import generate_records

    records = list(generate_records(args.households, seed=2026, communes=["Xã Hợp Hưng"]))
    folder = Path(tempfile.mkdtemp(prefix="chuan-ngheo-web-bench-"))
    password = secrets.token_urlsafe(16)
    env = {**os.environ, "BENCH_PW": password}
    cli = [sys.executable, "-m", "classifier"]
    subprocess.run(
        [
            *cli,
            "user",
            "add",
            "admin",
            "--role",
            "officer",
            "--password-env",
            "BENCH_PW",
            "--data-dir",
            str(folder / "data"),
        ],
        check=True,
        env=env,
        capture_output=True,
    )
    port = _free_port()
    server = subprocess.Popen(
        [*cli, "serve", "--data-dir", str(folder / "data"), "--port", str(port)],
        env=env,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if Session(port).request("GET", "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.2)
        admin = Session(port)
        admin.log_in(password)
        _, page, _ = admin.request("GET", "/rounds")
        token = re.search(rb'name="csrf_token" value="([^"]+)"', page).group(1).decode()  # type: ignore[union-attr]
        admin.form(
            "/rounds",
            {
                "name": "2026",
                "year": "2026",
                "reference_date": "2026-11-01",
                "kind": "periodic",
                "standard": "nd-07-2021",
                "csrf_token": token,
            },
        )
        body, content_type = _multipart(token, records)
        status, report, import_s = admin.request(
            "POST", "/rounds/2026/import", body, {"Content-Type": content_type}
        )
        added = re.search(r"Thêm (\d+) hộ", report.decode())
        print(
            f"import over HTTP: {import_s:.2f} s for {args.households} households "
            f"(status {status}, added {added.group(1) if added else '?'}; import + classification)"
        )
        alone_import, alone_classify = _in_process(records, folder)
        print(f"  register alone: import {alone_import:.2f} s, classification {alone_classify:.2f} s")

        codes = [r["id"] for r in records]
        villages = sorted({r["village"] for r in records})
        timings: dict[str, list[float]] = defaultdict(list)
        lock = threading.Lock()
        errors: list[int] = []

        def person(seed: int) -> None:
            rng = random.Random(seed)
            session = Session(port)
            session.log_in(password)
            for index in range(args.requests):
                kind = ("round", "village", "class", "household")[index % 4]
                path = {
                    "round": "/rounds/2026",
                    "village": "/rounds/2026/households?village=" + urllib.parse.quote(rng.choice(villages)),
                    "class": "/rounds/2026/households?outcome=ngheo",
                    "household": "/rounds/2026/households/" + rng.choice(codes),
                }[kind]
                if args.think > 0:
                    time.sleep(rng.uniform(0.5, 1.5) * args.think)
                status, _, elapsed = session.request("GET", path)
                with lock:
                    timings[kind].append(elapsed)
                    if status != 200:
                        errors.append(status)

        start = time.perf_counter()
        with ThreadPoolExecutor(args.users) as pool:
            list(pool.map(person, range(args.users)))
        wall = time.perf_counter() - start
        every = [t for values in timings.values() for t in values]
        print(
            f"pages: {len(every)} by {args.users} users in {wall:.1f} s (log-ins included), "
            f"{len(errors)} errors"
        )
        for kind, values in [*sorted(timings.items()), ("all", every)]:
            print(
                f"  {kind:9} n={len(values):5}  p50 {statistics.median(values) * 1000:7.0f} ms  "
                f"p95 {_percentile(values, 0.95) * 1000:7.0f} ms  max {max(values) * 1000:7.0f} ms"
            )

        bodies = [json.dumps(r, ensure_ascii=False).encode() for r in records[:200]]
        per_user = max(1, args.classify // args.users)
        for query in ("", "?trace=false"):

            def caller(seed: int, query: str = query) -> int:
                session = Session(port)
                ok = 0
                for index in range(per_user):
                    body = bodies[(seed * per_user + index) % len(bodies)]
                    status, _, _ = session.request(
                        "POST", "/api/v1/classify" + query, body, {"Content-Type": "application/json"}
                    )
                    ok += status == 200
                return ok

            start = time.perf_counter()
            with ThreadPoolExecutor(args.users) as pool:
                ok = sum(pool.map(caller, range(args.users)))
            wall = time.perf_counter() - start
            label = query or " (with trace)"
            print(
                f"classify{label}: {ok} of {per_user * args.users} ok in {wall:.1f} s = {ok / wall:.0f} req/s"
            )
    finally:
        server.terminate()
        server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
