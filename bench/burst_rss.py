#!/usr/bin/env python3
"""Resident memory of `reco serve` before, during and after bursts of large request bodies.

Each round sends N concurrent POST /api/feedback batches of about 15.7 MB whose last row is
invalid (so each is parsed completely, then rejected with 400), then watches VmRSS until it
settles. Prints one line per round and writes bench/results/burst-rss-YYYYMMDD-HHMMSS.json.

  python3 bench/burst_rss.py --reco build/src/cli/reco
  python3 bench/burst_rss.py --inflight-bytes 1073741824   # admit all 16 bodies at once

Standard library only. Works in a temporary directory (demo data), removed at the end.
"""
import argparse
import http.client
import json
import os
import shutil
import signal
import tempfile
import threading
import time

from reco_proc import demo_data_dir, start_server, status_kib


def make_batch(target_bytes):
    row = '{"FeedbackType":"like","UserId":"burst%d","ItemId":"item%d","Timestamp":"2024-01-02T03:04:05Z"}'
    parts, size, i = [], 2, 0
    while size < target_bytes:
        r = row % (i % 5000, i)
        parts.append(r)
        size += len(r) + 1
        i += 1
    parts[-1] = '{"FeedbackType":"like","UserId":"burst0"}'  # no ItemId: the batch is a 400
    return ("[" + ",".join(parts) + "]").encode()


def post(port, body, statuses, lock):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request("POST", "/api/feedback", body, {"Content-Type": "application/json"})
        status = conn.getresponse().status
    except (OSError, http.client.HTTPException) as e:
        status = type(e).__name__
    finally:
        conn.close()
    with lock:
        statuses[status] = statuses.get(status, 0) + 1


def settle(pid, seconds):
    """RSS samples (KiB) at 0.5 s steps for `seconds`."""
    out = []
    for _ in range(int(seconds / 0.5)):
        time.sleep(0.5)
        out.append(status_kib(pid))
    return out


def run_round(pid, port, batch, concurrency):
    statuses, lock, peak = {}, threading.Lock(), [0]
    done = threading.Event()

    def watch():
        while not done.is_set():
            peak[0] = max(peak[0], status_kib(pid))
            time.sleep(0.01)

    watcher = threading.Thread(target=watch)
    watcher.start()
    threads = [threading.Thread(target=post, args=(port, batch, statuses, lock))
               for _ in range(concurrency)]
    start = time.time()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.time() - start
    done.set()
    watcher.join()
    return {"statuses": statuses, "seconds": round(seconds, 2), "peak_kib": peak[0],
            "after_kib": settle(pid, 5)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reco", default=os.environ.get("RECO_BIN", "build/src/cli/reco"))
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--batch-mb", type=float, default=15.7)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--inflight-bytes", type=int, default=0,
                    help="server.max_inflight_body_bytes (0 = the server's default)")
    ap.add_argument("--threads", type=int, default=2, help="server.threads")
    args = ap.parse_args()
    reco = os.path.abspath(args.reco)
    work = tempfile.mkdtemp(prefix="reco_burst_")
    try:
        data = demo_data_dir(reco, work)
        env = dict(os.environ, RECO_SERVER_THREADS=str(args.threads))
        if args.inflight_bytes:
            env["RECO_SERVER_MAX_INFLIGHT_BODY_BYTES"] = str(args.inflight_bytes)
        proc, port, _ = start_server(reco, data, env)
        batch = make_batch(int(args.batch_mb * 1e6))
        try:
            for _ in range(3):  # warm the routes and the store
                post(port, b"[]", {}, threading.Lock())
            baseline = status_kib(proc.pid)
            rounds = [run_round(proc.pid, port, batch, args.concurrency)
                      for _ in range(args.rounds)]
            hwm = status_kib(proc.pid, "VmHWM")
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    mib = lambda kib: round(kib / 1024, 1)
    print(f"batch {len(batch) / 1e6:.1f} MB x {args.concurrency} concurrent, "
          f"inflight budget {args.inflight_bytes or 'default'}; baseline RSS {mib(baseline)} MiB")
    for i, r in enumerate(rounds, 1):
        print(f"round {i}: statuses {r['statuses']} in {r['seconds']} s; peak {mib(r['peak_kib'])} "
              f"MiB; after 0.5 s {mib(r['after_kib'][0])} MiB, after 5 s {mib(r['after_kib'][-1])} MiB")
    print(f"VmHWM {mib(hwm)} MiB")
    os.makedirs("bench/results", exist_ok=True)
    out = time.strftime("bench/results/burst-rss-%Y%m%d-%H%M%S.json")
    with open(out, "w") as f:
        json.dump({"args": vars(args), "batch_bytes": len(batch), "baseline_kib": baseline,
                   "rounds": rounds, "hwm_kib": hwm}, f, indent=1)
    print("wrote", out)


if __name__ == "__main__":
    main()
