#!/usr/bin/env python3
"""Serving benchmark of `reco` on the LightGCN Gowalla split, against nginx as the reference.

For each reco binary (one after the other, in one run): imports train.txt into a fresh temporary
data directory, trains, starts `reco serve`, measures time-to-ready, drives GET /api/recommend
(item-CF) and GET /similar with wrk, ingests feedback batches with wrk, checks that every
acknowledged event is in the store after SIGTERM, reads the server's memory; then trains per-user
lists (`reco train --algo`) in another data directory and drives GET /api/recommend answered from
them. nginx serving a static file of the same size is measured with the same wrk load before the
first and after the last binary. Prints a table against the targets per binary, a comparison
table (absolute figures, ratios to nginx and to the baseline binary) and writes
bench/results/serve-*.json.

Usage: python3 bench/serve_bench.py [--reco [LABEL=]BINARY ...] [--duration 20] [--connections 64]
Standard library only; needs wrk and nginx (apt-get install wrk nginx). See bench/README.md.
"""

import argparse
import datetime
import http.client
import json
import os
import platform
import re
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import comparison
import reference_server

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
DEFAULT_DATA = REPO.parent / "shared" / "datasets" / "gowalla"

# name: (comparison, target value, unit)
TARGETS = {
    "import_rows_per_s": (">=", 1_000_000, "rows/s"),
    "itemcf_fit_s": ("<=", 5.0, "s"),
    "ready_s": ("<=", 1.0, "s"),
    "recommend_req_per_s": (">=", 25_000, "req/s"),
    "recommend_p99_ms": ("<=", 10.0, "ms"),
    # One request at a time (wrk -c1): the time a recommendation takes, without queueing.
    "recommend_single_p99_ms": ("<=", 2.0, "ms"),
    "similar_req_per_s": (">=", 35_000, "req/s"),
    "feedback_events_per_s": (">=", 100_000, "events/s"),
    "feedback_durable": ("==", True, ""),
    "rss_peak_mb": ("<=", 300.0, "MB"),
    "http_errors": ("==", 0, ""),
}


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def die(msg):
    print(f"serve_bench: {msg}", file=sys.stderr)
    sys.exit(2)


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--reco", action="append", default=[], metavar="[LABEL=]BINARY",
                   help="reco binary (default: $RECO_BIN, build/src/cli/reco, or the newest "
                   "build-*/src/cli/reco); repeat to measure several one after the other, LABEL "
                   "names each in the tables (default: its git revision or path)")
    p.add_argument("--baseline", default="",
                   help="LABEL of the binary the others are compared with (default: the first)")
    p.add_argument("--no-nginx", action="store_true", help="skip the nginx reference server")
    p.add_argument("--lists-algo", default="itemcf",
                   help="algorithm of the per-user lists scenario (reco train --algo); '' skips "
                   "it")
    p.add_argument("--data", default=str(DEFAULT_DATA), help="Gowalla LightGCN split directory")
    p.add_argument("--duration", type=int, default=20, help="seconds per read load (wrk -d)")
    p.add_argument("--connections", type=int, default=64, help="wrk -c for the read loads")
    p.add_argument("--threads", type=int, default=2, help="wrk -t")
    p.add_argument("--server-threads", type=int, default=0,
                   help="server.threads of reco serve (0 = number of cores)")
    p.add_argument("--warmup", type=int, default=2,
                   help="seconds of unrecorded load before each read load")
    p.add_argument("--feedback-duration", type=int, default=10)
    p.add_argument("--feedback-connections", type=int, default=16)
    p.add_argument("--feedback-batch", type=int, default=1000, help="events per POST")
    p.add_argument("--feedback-new-items", type=int, default=1,
                   help="events per batch that name a new item (auto-insert)")
    p.add_argument("--train-config", default="",
                   help="CONFIG.toml from `reco tune` (or any reco train --config): the server then "
                        "answers from that algorithm's precomputed per-user lists")
    p.add_argument("--grpc", action="store_true",
                   help="also load reco.v1 RecommendService/Recommend over gRPC (reco serve "
                   "--grpc-port 0) with --connections calls in flight, right after the REST "
                   "recommend load, with build/reco_grpc_load; binaries without --grpc-port skip it")
    p.add_argument("--grpc-load", default=str(REPO / "build" / "reco_grpc_load"),
                   help="the gRPC load generator (default build/reco_grpc_load)")
    p.add_argument("--grpc-channels", type=int, default=8,
                   help="HTTP/2 connections the gRPC load spreads its --connections calls over "
                   "(default 8; 1 is one multiplexed connection, --connections matches wrk's one "
                   "call per connection)")
    p.add_argument("--scenario", action="store_true",
                   help="also measure GET /api/recommend under a scenario (item-CF and popular "
                   "recall, a category filter, the diversity rerank) next to the plain route, on "
                   "the same server after the items were given categories")
    p.add_argument("--keep", action="store_true", help="keep the temporary data directory")
    p.add_argument("--results-dir", default=str(BENCH_DIR / "results"))
    return p.parse_args()


def find_reco(flag):
    candidates = []
    if flag:
        candidates = [Path(flag)]
    elif os.environ.get("RECO_BIN"):
        candidates = [Path(os.environ["RECO_BIN"])]
    else:
        default = REPO / "build" / "src" / "cli" / "reco"
        others = sorted(REPO.glob("build-*/src/cli/reco"), key=lambda p: p.stat().st_mtime,
                        reverse=True)
        candidates = [default] + others
    for c in candidates:
        if c.is_file() and os.access(c, os.X_OK):
            return c.resolve()
    die("no reco binary found (tried " + ", ".join(map(str, candidates)) + "); build it with "
        "`cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release && ninja -C build reco` "
        "or pass --reco")


def machine_info():
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_kb = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    except OSError:
        pass
    return {"nproc": os.cpu_count(), "cpu_model": model,
            "memory_gb": round(mem_kb / 1024 / 1024, 1), "kernel": platform.release()}


def git_revision():
    def git(*args):
        r = subprocess.run(["git", "--no-optional-locks", *args], cwd=REPO, capture_output=True,
                           text=True)
        return r.stdout.strip() if r.returncode == 0 else ""
    rev = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--untracked-files=no")
    return rev + ("-dirty" if dirty else "")


def read_split(data_dir):
    """Returns (user ids, item ids, interactions) of train.txt."""
    train = data_dir / "train.txt"
    if not train.is_file():
        die(f"{train} not found: the LightGCN Gowalla split (train.txt) is expected in "
            f"{data_dir} (pass --data DIR)")
    users, items, interactions = [], set(), 0
    with open(train) as f:
        for line in f:
            tok = line.split()
            if not tok:
                continue
            users.append(tok[0])
            items.update(tok[1:])
            interactions += len(tok) - 1
    return users, sorted(items, key=int), interactions


def run_timed(cmd, env=None):
    log("$ " + " ".join(map(str, cmd)))
    start = time.monotonic()
    r = subprocess.run(list(map(str, cmd)), capture_output=True, text=True, env=env)
    secs = time.monotonic() - start
    if r.returncode != 0:
        sys.stderr.write(r.stdout + r.stderr)
        die(f"command failed with exit code {r.returncode}: {' '.join(map(str, cmd))}")
    return secs, r.stdout, r.stderr


def parse_itemcf_seconds(train_stdout):
    for line in train_stdout.splitlines():
        cols = line.split()
        if len(cols) >= 4 and cols[0] == "itemcf":
            return float(cols[3])
    return None


class Server:
    """A `reco serve` child process; its output goes to a log file and is scanned for the port."""

    def __init__(self, reco, data_dir, server_threads, log_path, grpc=False):
        self.cmd = [str(reco), "serve", "--data-dir", str(data_dir), "--http-port", "0"]
        if grpc:
            self.cmd += ["--grpc-port", "0"]
        self.grpc_port = None
        self.env = dict(os.environ)
        if server_threads:
            self.env["RECO_SERVER_THREADS"] = str(server_threads)
        self.log_path = log_path
        self.port = None
        self.ready_log_seconds = None
        self._port_event = threading.Event()

    def start(self):
        threads = self.env.get("RECO_SERVER_THREADS")
        log("$ " + " ".join(self.cmd) + (f"  (RECO_SERVER_THREADS={threads})" if threads else ""))
        self.started = time.monotonic()
        self.proc = subprocess.Popen(self.cmd, env=self.env, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, bufsize=1)
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self):
        pattern = re.compile(r"listening on http://[^:]+:(\d+) ready_seconds=([\d.]+)")
        with open(self.log_path, "w") as out:
            for line in self.proc.stdout:
                out.write(line)
                out.flush()
                g = re.search(r"grpc server listening on \S+?:(\d+)", line)
                if g:
                    self.grpc_port = int(g.group(1))
                m = pattern.search(line)
                if m and self.port is None:
                    self.port = int(m.group(1))
                    self.ready_log_seconds = float(m.group(2))
                    self._port_event.set()
        self._port_event.set()

    def wait_ready(self, timeout=120.0):
        """Seconds from process start until GET /health says models_loaded=true."""
        if not self._port_event.wait(timeout) or self.port is None:
            die(f"reco serve did not log its port; see {self.log_path}")
        deadline = self.started + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                die(f"reco serve exited with {self.proc.returncode}; see {self.log_path}")
            try:
                status, body = http_get(self.port, "/health")
                if status == 200 and json.loads(body).get("models_loaded") is True:
                    return time.monotonic() - self.started, json.loads(body)
            except (OSError, ValueError, http.client.HTTPException):
                pass
            time.sleep(0.002)
        die(f"/health did not report models_loaded=true within {timeout} s")

    def cpu_seconds(self):
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def memory_mb(self):
        out = {}
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            key = line.split(":", 1)[0]
            if key in ("VmRSS", "VmHWM", "Threads"):
                val = int(line.split()[1])
                out[key] = val if key == "Threads" else round(val / 1024, 1)
        return out

    def stop(self, timeout=60.0):
        self.proc.send_signal(signal.SIGTERM)
        start = time.monotonic()
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            die(f"reco serve did not stop within {timeout} s of SIGTERM")
        return code, time.monotonic() - start


def http_get(port, path):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, resp.read().decode()
    finally:
        conn.close()


def sanity_check(port, user, item):
    """One request of each read route, so a load of errors is not mistaken for speed."""
    status, body = http_get(port, f"/api/recommend/{user}?n=20")
    recs = json.loads(body) if status == 200 else None
    if not isinstance(recs, list) or not recs:
        die(f"GET /api/recommend/{user}?n=20 answered {status} {body[:200]}")
    status, body = http_get(port, f"/similar/{item}?top_n=5")
    if status != 200:
        die(f"GET /similar/{item}?top_n=5 answered {status} {body[:200]}")
    return {"recommend_sample": recs[:5], "recommend_len": len(recs),
            "similar_sample": body[:200]}


def busy_cpu_seconds():
    """CPU seconds used by the whole machine since boot, idle and iowait excluded."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def children_cpu_seconds():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_measured(server, cmd, what):
    """Runs a load generator `cmd` that prints one RECO_BENCH_JSON line; adds the CPU seconds of
    the server, of the generator and of everything else on the machine (other processes compete
    for the same cores and make the figures lower)."""
    log("$ " + " ".join(cmd))
    load = Path("/proc/loadavg").read_text().split()[0]
    cpu0, busy0, kids0 = server.cpu_seconds(), busy_cpu_seconds(), children_cpu_seconds()
    r = subprocess.run(cmd, capture_output=True, text=True)
    cpu1, busy1, kids1 = server.cpu_seconds(), busy_cpu_seconds(), children_cpu_seconds()
    line = next((l for l in r.stdout.splitlines() if l.startswith("RECO_BENCH_JSON ")), None)
    if r.returncode != 0 or line is None:
        sys.stderr.write(r.stdout + r.stderr)
        die(f"{what} failed with exit code {r.returncode} or printed no RECO_BENCH_JSON line")
    result = json.loads(line[len("RECO_BENCH_JSON "):])
    result["server_cpu_s"] = round(cpu1 - cpu0, 2)
    result["wrk_cpu_s"] = round(kids1 - kids0, 2)
    result["other_cpu_s"] = round(max(0.0, (busy1 - busy0) - (cpu1 - cpu0) - (kids1 - kids0)), 2)
    result["loadavg_1m_before"] = float(load)
    result["command"] = " ".join(cmd)
    return result


def run_wrk(server, script, args, threads, connections, duration):
    url = f"http://127.0.0.1:{server.port}"
    cmd = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{duration}s",
           "--timeout", "10s", "-s", str(BENCH_DIR / script), url, "--", *map(str, args)]
    return run_measured(server, cmd, f"wrk {script}")


def run_grpc_load(server, a, ids_file, duration):
    """reco_grpc_load against the server's gRPC port: --connections calls in flight over
    --grpc-channels HTTP/2 connections, --threads completion-queue threads, n=20 as the REST
    load."""
    cmd = [a.grpc_load, f"127.0.0.1:{server.grpc_port}", str(ids_file), str(a.connections),
           str(duration), "20", str(a.grpc_channels), str(a.threads)]
    return run_measured(server, cmd, "reco_grpc_load")


def record_load(results, figures, key, prefix, r):
    """A load's result under `key`, and its req/s, p99 and server CPU per request as figures."""
    results[key] = r
    results["commands"][key] = r["command"]
    figures[f"{prefix}_req_per_s"] = round(r["requests_per_s"])
    figures[f"{prefix}_p99_ms"] = round(r["latency_p99_ms"], 2)
    # Server CPU per request: the cost figure that other load on the machine does not skew.
    figures[f"{prefix}_server_cpu_us_per_req"] = round(
        1e6 * r["server_cpu_s"] / max(1, r["requests"]), 1)


def grpc_phase(ctx, server, results, figures):
    a = ctx.a
    log(f"4d. gRPC RecommendService/Recommend n=20 over {len(ctx.users):,} users, "
        f"{a.connections} calls in flight over {a.grpc_channels} connections, {a.duration} s")
    if a.warmup > 0:
        run_grpc_load(server, a, ctx.users_file, a.warmup)
    r = run_grpc_load(server, a, ctx.users_file, a.duration)
    log(f"  {r['requests_per_s']:,.0f} req/s  p50 {r['latency_p50_ms']:.2f} ms  "
        f"p90 {r['latency_p90_ms']:.2f} ms  p99 {r['latency_p99_ms']:.2f} ms  "
        f"errors {r['non_2xx_3xx']:.0f}  CPU s: server {r['server_cpu_s']:.1f} "
        f"client {r['wrk_cpu_s']:.1f} other processes {r['other_cpu_s']:.1f}")
    record_load(results, figures, "grpc_recommend", "grpc_recommend", r)
    figures["grpc_recommend_errors"] = int(r["non_2xx_3xx"])
    return r


def supports_grpc(reco):
    r = subprocess.run([str(reco), "serve", "--help"], capture_output=True, text=True)
    return "--grpc-port" in r.stdout


def read_load(server, name, path_template, ids_file, a):
    args = [ids_file, a.threads, name, path_template]
    if a.warmup > 0:
        run_wrk(server, "cycle_ids.lua", args, a.threads, a.connections, a.warmup)
    r = run_wrk(server, "cycle_ids.lua", args, a.threads, a.connections, a.duration)
    log(f"  {r['requests_per_s']:,.0f} req/s  p50 {r['latency_p50_ms']:.2f} ms  "
        f"p90 {r['latency_p90_ms']:.2f} ms  p99 {r['latency_p99_ms']:.2f} ms  "
        f"max {r['latency_max_ms']:.2f} ms  non-2xx {r['non_2xx_3xx']:.0f}  "
        f"CPU s: server {r['server_cpu_s']:.1f} wrk {r['wrk_cpu_s']:.1f} "
        f"other processes {r['other_cpu_s']:.1f}")
    return r


def count_feedback(db_path):
    con = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        return con.execute("SELECT count(*) FROM feedback").fetchone()[0]
    finally:
        con.close()


def check(name, value):
    op, target, _ = TARGETS[name]
    if value is None:
        return "n/a"
    ok = {">=": value >= target, "<=": value <= target, "==": value == target}[op]
    return "pass" if ok else "FAIL"


def fmt(value):
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.2f}" if value < 1000 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def print_table(figures):
    rows = [("metric", "value", "target", "result")]
    for name, (op, target, unit) in TARGETS.items():
        value = figures.get(name)
        rows.append((name, fmt(value) if value is not None else "n/a",
                     f"{op} {fmt(target)} {unit}".strip(), check(name, value)))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for i, r in enumerate(rows):
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)))
        if i == 0:
            print("  ".join("-" * w for w in widths))


def binary_label(reco):
    """The git revision `reco --version` names, else the path."""
    r = subprocess.run([str(reco), "--version"], capture_output=True, text=True)
    m = re.search(r"\(([0-9a-f]{7,40}[^)]*)\)", r.stdout)
    return m.group(1) if m else str(reco)


def safe(label):
    """`label` as a file name."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", label)


def supports_algo(reco):
    r = subprocess.run([str(reco), "train", "--help"], capture_output=True, text=True)
    return "--algo" in r.stdout


def parse_binaries(a):
    """[(label, path)] in the order given; at least one."""
    out = []
    for spec in a.reco or [""]:
        label, sep, path = spec.partition("=")
        if not sep:
            label, path = "", spec
        binary = find_reco(path)
        out.append((label or binary_label(binary), binary))
    labels = [label for label, _ in out]
    if len(set(labels)) != len(labels):
        die(f"binaries must have distinct labels (got {labels}); name them with LABEL=BINARY")
    if a.baseline and a.baseline not in labels:
        die(f"--baseline {a.baseline} is not one of the labels {labels}")
    return out


class Run:
    """What every phase needs: arguments, data, id files and the temporary directory."""

    def __init__(self, a, data, users, items, interactions, work):
        self.a, self.data, self.users, self.items = a, data, users, items
        self.interactions, self.work = interactions, work
        self.users_file, self.items_file = work / "users.txt", work / "items.txt"
        self.users_file.write_text("\n".join(users) + "\n")
        self.items_file.write_text("\n".join(items) + "\n")


def import_data(ctx, reco, data_dir, results, figures):
    cmd = [reco, "import", "--data-dir", data_dir, "--format", "lightgcn",
           ctx.data / "train.txt"]
    secs, out, _ = run_timed(cmd)
    figures["import_s"] = round(secs, 3)
    figures["import_rows_per_s"] = round(ctx.interactions / secs)
    results["commands"]["import"] = " ".join(map(str, cmd))
    results["import_output"] = out.strip()
    log(f"  import: {secs:.2f} s wall, {ctx.interactions / secs:,.0f} rows/s  ({out.strip()})")


def train(reco, data_dir, train_args, results, figures, prefix=""):
    cmd = [reco, "train", "--data-dir", data_dir, *train_args]
    secs, out, _ = run_timed(cmd)
    figures[prefix + "train_s"] = round(secs, 3)
    results["commands"][prefix + "train"] = " ".join(map(str, cmd))
    results[prefix + "train_output"] = out.strip()
    log(f"  train: {secs:.2f} s total")
    return out


def start_server(ctx, reco, data_dir, name, grpc=False):
    server = Server(reco, data_dir, ctx.a.server_threads, ctx.work / f"{name}.log", grpc=grpc)
    server.start()
    ready, health = server.wait_ready()
    log(f"  ready with models in {ready:.3f} s (server log says "
        f"{server.ready_log_seconds} s); port {server.port}")
    return server, ready, health


def read_phase(ctx, server, results, figures):
    a = ctx.a
    log(f"4a. GET /api/recommend/{{user}}?n=20 over {len(ctx.users):,} users, "
        f"{a.connections} connections, {a.duration} s")
    rec = read_load(server, "recommend", "/api/recommend/{id}?n=20", ctx.users_file, a)
    if server.grpc_port is not None:
        grpc_phase(ctx, server, results, figures)
    log("4c. GET /api/recommend/{user}?n=20, one connection (latency without queueing)")
    single = run_wrk(server, "cycle_ids.lua",
                     [ctx.users_file, 1, "recommend_single", "/api/recommend/{id}?n=20"],
                     1, 1, min(a.duration, 10))
    log(f"  p50 {single['latency_p50_ms']:.3f} ms  p99 {single['latency_p99_ms']:.3f} ms  "
        f"({single['requests_per_s']:,.0f} req/s)")
    results["recommend_single"] = single
    figures["recommend_single_p50_ms"] = round(single["latency_p50_ms"], 3)
    figures["recommend_single_p99_ms"] = round(single["latency_p99_ms"], 3)
    log(f"4b. GET /similar/{{item}}?top_n=5 over {len(ctx.items):,} items")
    sim = read_load(server, "similar", "/similar/{id}?top_n=5", ctx.items_file, a)
    results["recommend"], results["similar"] = rec, sim
    results["commands"]["recommend"] = rec["command"]
    results["commands"]["similar"] = sim["command"]
    for name, r in (("recommend", rec), ("similar", sim)):
        figures[f"{name}_req_per_s"] = round(r["requests_per_s"])
        figures[f"{name}_p99_ms"] = round(r["latency_p99_ms"], 2)
        # Server CPU per request: the cost figure that other load on the machine does not skew.
        figures[f"{name}_server_cpu_us_per_req"] = round(
            1e6 * r["server_cpu_s"] / max(1, r["requests"]), 1)
    figures["other_processes_cpu_s_during_reads"] = round(
        rec["other_cpu_s"] + sim["other_cpu_s"], 1)
    return rec, sim


SCENARIO_CATEGORIES = 20
# Two recall sources, a filter (16 of the 20 categories, seen items excluded) and the diversity
# rerank (at most 3 items of one category in the top 20).
BENCH_SCENARIO = {
    "name": "bench",
    "recall": [{"source": "itemcf", "quota": 100}, {"source": "popular", "quota": 50}],
    "filters": {"categories": [f"c{i}" for i in range(16)], "exclude_seen": True},
    "rerank": {"kind": "diversity", "window": 20, "max_per_category": 3},
    "fallback": ["popular", "latest"],
}


def http_send(port, method, path, body):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request(method, path, body=body, headers={"Content-Type": "application/json"})
        resp = conn.getresponse()
        return resp.status, resp.read().decode()
    finally:
        conn.close()


def scenario_phase(ctx, server, results, figures):
    """GET /api/recommend plain and under a scenario, one after the other on the same server."""
    a = ctx.a
    log(f"4d. scenario: items get one of {SCENARIO_CATEGORIES} categories, POST /api/v1/scenarios")
    for start in range(0, len(ctx.items), 5000):
        batch = [{"ItemId": item, "Categories": [f"c{int(item) % SCENARIO_CATEGORIES}"]}
                 for item in ctx.items[start:start + 5000]]
        status, body = http_send(server.port, "POST", "/api/items", json.dumps(batch))
        if status != 200:
            die(f"POST /api/items answered {status} {body[:200]}")
    status, body = http_send(server.port, "POST", "/api/v1/scenarios", json.dumps(BENCH_SCENARIO))
    if status != 201:
        die(f"POST /api/v1/scenarios answered {status} {body[:200]}")
    path = "/api/recommend/{id}?n=20&scenario=bench"
    status, body = http_get(server.port, path.replace("{id}", ctx.users[0]))
    if status != 200 or not json.loads(body):
        die(f"GET {path} answered {status} {body[:200]}")
    results["scenario_config"] = BENCH_SCENARIO
    for name, template in (("recommend_plain", "/api/recommend/{id}?n=20"),
                           ("recommend_scenario", path)):
        log(f"  {name}: GET {template}")
        r = read_load(server, name, template, ctx.users_file, a)
        results[name] = r
        results["commands"][name] = r["command"]
        figures[f"{name}_req_per_s"] = round(r["requests_per_s"])
        figures[f"{name}_p50_ms"] = round(r["latency_p50_ms"], 2)
        figures[f"{name}_p99_ms"] = round(r["latency_p99_ms"], 2)
        figures[f"{name}_server_cpu_us_per_req"] = round(
            1e6 * r["server_cpu_s"] / max(1, r["requests"]), 1)
    return [results["recommend_plain"], results["recommend_scenario"]]


def feedback_phase(ctx, server, results, figures):
    a = ctx.a
    log(f"5. POST /api/feedback, batches of {a.feedback_batch}, "
        f"{a.feedback_connections} connections, {a.feedback_duration} s")
    fb_threads = min(a.threads, a.feedback_connections)
    fb = run_wrk(server, "feedback.lua",
                 [ctx.users_file, ctx.items_file, ctx.data / "train.txt", fb_threads,
                  a.feedback_batch, a.feedback_new_items],
                 fb_threads, a.feedback_connections, a.feedback_duration)
    results["feedback"] = fb
    results["commands"]["feedback"] = fb["command"]
    acked = int(fb["ok_responses"]) * a.feedback_batch
    figures["feedback_events_per_s"] = round(acked / fb["duration_s"])
    figures["feedback_acknowledged_events"] = acked
    figures["feedback_rows_affected"] = int(fb["rows_affected"])
    figures["feedback_server_cpu_us_per_event"] = round(
        1e6 * fb["server_cpu_s"] / max(1, acked), 2)
    log(f"  {figures['feedback_events_per_s']:,} events/s ({int(fb['ok_responses'])} batches "
        f"acknowledged, RowAffected sum {int(fb['rows_affected']):,}, p99 "
        f"{fb['latency_p99_ms']:.1f} ms, non-2xx {fb['non_2xx_3xx']:.0f})")
    return fb


def durability_phase(ctx, server, data_dir, fb, figures):
    a = ctx.a
    log("6. server memory after the loads")
    mem = server.memory_mb()
    figures["rss_mb"], figures["rss_peak_mb"] = mem.get("VmRSS"), mem.get("VmHWM")
    figures["server_threads_os"] = mem.get("Threads")
    log(f"  VmRSS {mem.get('VmRSS')} MB, VmHWM {mem.get('VmHWM')} MB")
    log("   durability: SIGTERM, then count the feedback rows in the store")
    code, stop_s = server.stop()
    figures["stop_s"] = round(stop_s, 3)
    stored = count_feedback(data_dir / "reco.db")
    expected = ctx.interactions + int(fb["rows_affected"])
    # wrk stops at its deadline with up to one batch per connection still in flight: the
    # server may commit those without wrk reading the answer, so they are stored but not
    # counted as acknowledged. Fewer rows than acknowledged means lost writes.
    in_flight_max = a.feedback_connections * a.feedback_batch
    acked = figures["feedback_acknowledged_events"]
    figures["feedback_stored_rows"] = stored
    figures["feedback_expected_rows"] = expected
    figures["feedback_durable"] = (code == 0 and expected <= stored <= expected + in_flight_max
                                   and int(fb["rows_affected"]) == acked)
    log(f"  exit code {code} after {stop_s:.2f} s; stored {stored:,} rows; imported "
        f"{ctx.interactions:,} + acknowledged {int(fb['rows_affected']):,} = {expected:,} "
        f"(unacknowledged in-flight at wrk's deadline: {stored - expected:,}, "
        f"at most {in_flight_max:,})")


def lists_phase(ctx, reco, label, data_dir, results, figures):
    """GET /api/recommend answered from per-user lists (reco train --algo) in `data_dir`, a
    copy of the imported data."""
    a = ctx.a
    log(f"7. per-user lists: reco train --algo {a.lists_algo}, serve, GET /api/recommend")
    train(reco, data_dir, ["--algo", a.lists_algo], results, figures, prefix="lists_")
    server, _, health = start_server(ctx, reco, data_dir, f"serve-{safe(label)}-lists")
    try:
        results["lists_health"] = health
        lists = read_load(server, "recommend_lists", "/api/recommend/{id}?n=20", ctx.users_file,
                          a)
    finally:
        server.stop()
        shutil.rmtree(data_dir, ignore_errors=True)
    record_load(results, figures, "recommend_lists", "lists", lists)
    return lists


def bench_binary(ctx, label, reco):
    """Every phase for one binary; returns its results (figures under "figures")."""
    a = ctx.a
    log(f"=== {label}: {reco}")
    data_dir = ctx.work / f"data-{safe(label)}"
    data_dir.mkdir()
    results = {"reco": str(reco), "label": label, "commands": {}}
    figures = {}
    server = None
    try:
        log("1. import")
        import_data(ctx, reco, data_dir, results, figures)
        lists_dir = None
        if a.lists_algo and supports_algo(reco):
            lists_dir = ctx.work / f"data-{safe(label)}-lists"
            shutil.copytree(data_dir, lists_dir)
        elif a.lists_algo:
            log(f"   {label} has no `reco train --algo`: no per-user lists scenario")
        log("2. train")
        train_args = ["--config", os.path.abspath(a.train_config)] if a.train_config else []
        out = train(reco, data_dir, train_args, results, figures)
        figures["itemcf_fit_s"] = parse_itemcf_seconds(out)
        log("3. serve: time to ready")
        grpc = a.grpc and supports_grpc(reco)
        if a.grpc and not grpc:
            log(f"   {label} has no `reco serve --grpc-port`: no gRPC load")
        server, ready, health = start_server(ctx, reco, data_dir, f"serve-{safe(label)}", grpc)
        figures["ready_s"] = round(ready, 3)
        figures["ready_logged_s"] = server.ready_log_seconds
        results["commands"]["serve"] = " ".join(server.cmd)
        results["health"] = health
        results["sanity"] = sanity_check(server.port, ctx.users[0], ctx.items[0])
        rec, sim = read_phase(ctx, server, results, figures)
        scenario_loads = scenario_phase(ctx, server, results, figures) if a.scenario else []
        fb = feedback_phase(ctx, server, results, figures)
        durability_phase(ctx, server, data_dir, fb, figures)
        server = None
        errors = 0
        for r in (rec, sim, fb, *scenario_loads):
            errors += http_errors(r)
        shutil.rmtree(data_dir, ignore_errors=True)
        if lists_dir is not None:
            errors += http_errors(lists_phase(ctx, reco, label, lists_dir, results, figures))
        figures["http_errors"] = errors
    finally:
        if server is not None and server.proc.poll() is None:
            server.stop()
    results["figures"] = figures
    results["verdict"] = {name: check(name, figures.get(name)) for name in TARGETS}
    return results


def http_errors(r):
    return int(r["non_2xx_3xx"] + r["socket_errors_connect"] + r["socket_errors_read"]
               + r["socket_errors_write"] + r["socket_errors_timeout"])


def bench_nginx(ctx, binary, name):
    a = ctx.a
    workers = a.server_threads or os.cpu_count() or 1
    body = json.dumps([ctx.items[i % len(ctx.items)] for i in range(20)], separators=(",", ":"))
    log(f"=== {name}: nginx serving a {len(body)}-byte static file, {workers} workers")
    server = reference_server.Nginx(binary, ctx.work, workers, body, log)
    server.start()
    try:
        r = read_load(server, name, reference_server.PATH_TEMPLATE, ctx.users_file, a)
    finally:
        server.stop()
    r["server_cpu_us_per_req"] = round(1e6 * r["server_cpu_s"] / max(1, r["requests"]), 1)
    r["body_bytes"] = len(body)
    return r


def main():
    a = parse_args()
    if shutil.which("wrk") is None:
        die("wrk not found: apt-get install wrk")
    if a.connections < a.threads:
        die("--connections must be >= --threads")
    nginx = None
    if not a.no_nginx:
        nginx = reference_server.find_nginx()
        if nginx is None:
            die(reference_server.NGINX_MISSING)
    data = Path(a.data).resolve()
    binaries = parse_binaries(a)
    baseline = a.baseline or binaries[0][0]
    for label, reco in binaries:
        log(f"reco binary {label}: {reco}")
    log(f"data {data}")
    users, items, interactions = read_split(data)
    log(f"train.txt: {interactions:,} interactions, {len(users):,} users, {len(items):,} items")

    work = Path(tempfile.mkdtemp(prefix=f"reco-serve-bench-{os.getpid()}-"))
    ctx = Run(a, data, users, items, interactions, work)
    results = {"date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
               "git_revision": git_revision(), "machine": machine_info(),
               "dataset": {"path": str(data), "interactions": interactions,
                           "users": len(users), "items": len(items)},
               "config": {k: v for k, v in vars(a).items() if k not in ("reco",)},
               "baseline": baseline, "runs": {}, "nginx": []}
    try:
        if nginx:
            results["nginx"].append(bench_nginx(ctx, nginx, "nginx_first"))
        for label, reco in binaries:
            results["runs"][label] = bench_binary(ctx, label, reco)
        if nginx:
            results["nginx"].append(bench_nginx(ctx, nginx, "nginx_last"))
    finally:
        if a.keep:
            log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)

    print()
    print(f"reco serving benchmark, {results['date']}, rev {results['git_revision']}, "
          f"{results['machine']['nproc']} x {results['machine']['cpu_model']}, "
          f"wrk -t{a.threads} -c{a.connections} -d{a.duration}s, server threads "
          f"{a.server_threads or 'auto'}")
    for label, run in results["runs"].items():
        figures = run["figures"]
        print(f"\n{label} ({run['reco']})")
        print_table(figures)
        print(f"server CPU per request: recommend "
              f"{figures.get('recommend_server_cpu_us_per_req')} us, similar "
              f"{figures.get('similar_server_cpu_us_per_req')} us, lists "
              f"{figures.get('lists_server_cpu_us_per_req')} us, feedback "
              f"{figures.get('feedback_server_cpu_us_per_event')} us/event; CPU seconds used by "
              f"other processes during the read loads: "
              f"{figures.get('other_processes_cpu_s_during_reads')} "
              f"(of {2 * a.duration * (os.cpu_count() or 1)} available)")
    results["comparison"] = comparison.compare(results, baseline)
    print()
    print(comparison.markdown(results["comparison"]))
    out_dir = Path(a.results_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / f"serve-{datetime.datetime.now().strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nresults written to {out}")


if __name__ == "__main__":
    main()
