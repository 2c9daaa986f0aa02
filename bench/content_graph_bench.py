#!/usr/bin/env python3
"""How long `reco serve` takes to have its text-vector index when the HNSW graph saved with the
text model is loaded, against building it from the store (docs/content.md).

Steps: `reco demo-data` (ITEMS items) + `reco import` + `reco train` (which fits the text
embedder and saves its graph), then `reco serve` twice on the same data: once as configured (the
saved graph is loaded: `event=content_saved_graph_loaded`) and once with content.hnsw_m set one
lower (the saved graph does not fit the configuration, so the index is built from the store).
Each start reports the seconds of `event=content_indexes_built`, printed as a table.

    python3 bench/content_graph_bench.py --reco build/src/cli/reco --items 100000
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reco_proc import demo_data_dir  # noqa: E402


def index_seconds(reco, data, env):
    # Not reco_proc.start_server: the index is built before the server listens, which takes
    # longer than its deadline on a large catalogue.
    log = open(os.path.join(data, "serve.log"), "w+")
    proc = subprocess.Popen([reco, "serve", "--data-dir", data, "--http-port", "0"], stdout=log,
                            stderr=subprocess.STDOUT, env=env)
    try:
        deadline = time.time() + 1800
        while time.time() < deadline:
            log.seek(0)
            text = log.read()
            m = re.search(r"event=content_indexes_built text_vectors=(\d+) .*seconds=([0-9.]+)",
                          text)
            if m:
                saved = "event=content_saved_graph_loaded" in text
                return int(m.group(1)), float(m.group(2)), saved
            if proc.poll() is not None:
                raise SystemExit("reco serve exited; see " + log.name)
            time.sleep(0.1)
        raise SystemExit("no content_indexes_built line; see " + log.name)
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reco", default="build/src/cli/reco")
    ap.add_argument("--items", type=int, default=100000)
    ap.add_argument("--users", type=int, default=5000)
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = ap.parse_args()
    reco = os.path.abspath(args.reco)
    work = tempfile.mkdtemp(prefix="reco-content-graph-")
    try:
        print(f"demo data: {args.items} items, {args.users} users", flush=True)
        data = demo_data_dir(reco, work, users=args.users, items=args.items)
        start = time.time()
        train = subprocess.run([reco, "train", "--data-dir", data], capture_output=True, text=True)
        if train.returncode != 0:
            raise SystemExit("reco train failed:\n" + train.stderr[-2000:])
        graph = re.search(r"event=text_graph_built vectors=(\d+) bytes=(\d+) seconds=([0-9.]+)",
                          train.stdout + train.stderr)
        print(f"train: {time.time() - start:.1f} s" +
              (f"; graph of {graph.group(1)} vectors, {int(graph.group(2)) / 1e6:.1f} MB, "
               f"{graph.group(3)} s" if graph else "; no graph built"), flush=True)
        env = dict(os.environ, RECO_LOG_LEVEL="info")
        rows = []
        loaded = index_seconds(reco, data, env)
        rows.append(("saved graph loaded", loaded))
        built = index_seconds(reco, data, dict(env, RECO_CONTENT_HNSW_M="15"))
        rows.append(("built from the store (hnsw_m 15)", built))
        print("\n| start-up | text vectors | index ready (s) | graph loaded |")
        print("|---|---|---|---|")
        for name, (vectors, seconds, saved) in rows:
            print(f"| {name} | {vectors} | {seconds:.2f} | {'yes' if saved else 'no'} |")
        if loaded[1] > 0:
            print(f"\nbuilt / loaded: {built[1] / loaded[1]:.1f}x")
    finally:
        if args.keep:
            print("kept", work)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
