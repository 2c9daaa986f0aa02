#!/usr/bin/env python3
"""`reco serve` against hostile clients: what they cost the server, and whether others are served.

  methods: N requests, each with a method of its own (2-12 KB), on /api/health/live; then the
           answers' statuses, the server's RSS, the size and scrape time of /metrics.
  idle:    N idle TCP connections (the server started after `--limit`, e.g. "ulimit -n 1024"),
           then 10 new clients asking /api/health/live; how many were answered, the longest
           wait, and how many "accept failed" lines the server logged.

  python3 bench/hostile_clients.py methods --requests 25000
  python3 bench/hostile_clients.py idle --idle 1100 --limit "ulimit -n 1024"

Standard library only; works in a temporary directory (demo data), removed at the end.
"""
import argparse
import os
import random
import shutil
import socket
import tempfile
import time

from reco_proc import demo_data_dir, start_server, status_kib


def exchange(port, raw, timeout=None):
    """Sends `raw`, half-closes, returns everything the server sent until it closed."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(raw)
        s.shutdown(socket.SHUT_WR)
        out = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return out
            out += chunk
    finally:
        s.close()


def scrape(port):
    start = time.time()
    body = exchange(port, b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    return len(body), time.time() - start


def odd_methods(pid, port, requests):
    before_rss, (before_size, _) = status_kib(pid), scrape(port)
    rnd, statuses = random.Random(1), {}
    for i in range(requests):
        method = "M%d" % i + "X" * rnd.randint(2000, 12000)
        raw = f"{method} /api/health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        status = exchange(port, raw.encode())[9:12].decode(errors="replace")
        statuses[status] = statuses.get(status, 0) + 1
    size, seconds = scrape(port)
    print(f"{requests} requests with methods of their own: statuses {statuses}")
    print(f"RSS {before_rss // 1024} -> {status_kib(pid) // 1024} MiB; /metrics {before_size:,} -> "
          f"{size:,} bytes, scraped in {seconds:.2f} s")


def idle_connections(port, idle, log):
    held = [socket.create_connection(("127.0.0.1", port)) for _ in range(idle)]
    time.sleep(2)  # the server accepts (or fails to) meanwhile
    served, waits = 0, []
    for _ in range(10):
        start = time.time()
        try:
            raw = b"GET /api/health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            served += exchange(port, raw, timeout=5).startswith(b"HTTP/1.1 200")
        except OSError:
            pass
        waits.append(time.time() - start)
    log.seek(0)
    text = log.read()
    print(f"{idle} idle connections held: new clients served {served}/10, longest wait "
          f"{max(waits):.2f} s; 'accept failed' lines logged: {text.count('accept failed')}")
    for line in text.splitlines():
        if "open file limit" in line or "max_connections=" in line:
            print("  server:", line.split("level=", 1)[-1][:160])
    for s in held:
        s.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("mode", choices=["methods", "idle"])
    ap.add_argument("--reco", default=os.environ.get("RECO_BIN", "build/src/cli/reco"))
    ap.add_argument("--requests", type=int, default=25000, help="methods: how many requests")
    ap.add_argument("--idle", type=int, default=1100, help="idle: how many connections")
    ap.add_argument("--limit", default="", help='idle: shell prefix, e.g. "ulimit -n 1024"')
    args = ap.parse_args()
    reco = os.path.abspath(args.reco)
    work = tempfile.mkdtemp(prefix="reco_hostile_")
    try:
        data = demo_data_dir(reco, work, users=50, items=50)
        env = dict(os.environ, RECO_SERVER_THREADS="2")
        prefix = args.limit + ";" if args.limit else ""
        proc, port, log = start_server(reco, data, env, prefix)
        try:
            if args.mode == "methods":
                odd_methods(proc.pid, port, args.requests)
            else:
                idle_connections(port, args.idle, log)
        finally:
            proc.terminate()
            proc.wait(timeout=60)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
