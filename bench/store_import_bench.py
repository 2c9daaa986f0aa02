#!/usr/bin/env python3
"""`reco import` of one dataset on SQLite and on PostgreSQL, side by side in one run.

Each round imports the same file into a fresh data directory twice: once on the embedded SQLite
store, once with RECO_STORE_URL pointing at a fresh database of a local PostgreSQL 15 server
that this script starts (scripts/pg-test-server.sh start DIR --durable: fsync and synchronous
commit on, Unix socket only) and stops. Prints every run's wall seconds and reco's CPU seconds,
then the median per store as a Markdown table.

  python3 bench/store_import_bench.py [--reco build/src/cli/reco] [--data train.txt]
                                      [--format lightgcn] [--rounds 3]
"""
import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_import(reco, data, fmt, data_dir, env):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    out = subprocess.run([reco, "import", "--data-dir", data_dir, "--format", fmt, data],
                         env=env, capture_output=True, text=True)
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if out.returncode != 0:
        sys.exit("reco import failed:\n" + out.stdout + out.stderr)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reco", default=os.path.join(ROOT, "build/src/cli/reco"))
    ap.add_argument("--data",
                    default=os.path.join(ROOT, "../shared/datasets/gowalla/train.txt"))
    ap.add_argument("--format", default="lightgcn")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="reco-import-bench-")
    pg_dir = "/tmp/reco-bench-pg-%d" % os.getpid()  # short: it holds the server's socket
    script = os.path.join(ROOT, "scripts/pg-test-server.sh")
    subprocess.run([script, "start", pg_dir, "--durable"], check=True, stdout=subprocess.DEVNULL)
    admin = open(os.path.join(pg_dir, "url")).read().strip()
    results = {"sqlite": [], "postgres": []}
    try:
        for r in range(args.rounds):
            sqlite_dir = os.path.join(work, "sqlite-%d" % r)
            env = {k: v for k, v in os.environ.items() if k != "RECO_STORE_URL"}
            wall, cpu = run_import(args.reco, args.data, args.format, sqlite_dir, env)
            results["sqlite"].append((wall, cpu))
            print("round %d sqlite:   %.2f s wall, %.2f s reco cpu, load %.1f" %
                  (r, wall, cpu, os.getloadavg()[0]), flush=True)
            db = "bench_%d" % r
            subprocess.run(["psql", admin, "-qc", "CREATE DATABASE " + db], check=True)
            env["RECO_STORE_URL"] = admin.replace("@/postgres?", "@/%s?" % db)
            wall, cpu = run_import(args.reco, args.data, args.format,
                                   os.path.join(work, "pg-%d" % r), env)
            results["postgres"].append((wall, cpu))
            print("round %d postgres: %.2f s wall, %.2f s reco cpu, load %.1f" %
                  (r, wall, cpu, os.getloadavg()[0]), flush=True)
    finally:
        subprocess.run([script, "stop", pg_dir], stdout=subprocess.DEVNULL)
        shutil.rmtree(work, ignore_errors=True)
    print()
    print("| store | median wall s | median reco CPU s | runs (wall s) |")
    print("|---|---|---|---|")
    for store, runs in results.items():
        print("| %s | %.2f | %.2f | %s |" % (
            store, statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs),
            ", ".join("%.2f" % w for w, _ in runs)))


if __name__ == "__main__":
    main()
