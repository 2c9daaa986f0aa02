#!/usr/bin/env python3
"""Offline replay of the new users' exploration mix on MovieLens (docs/quality.md).

20 % of the users (seed 1) are withheld: the others' ratings are imported and trained on. Each
withheld user with at least 10 positives (rating >= 4) then arrives as a new user on a running
`reco serve`: the first h of their positives (h = 0..4, oldest first) are posted as likes, a list
of 20 is asked for, and it is scored against their positives after the 5th (the same held-out
set for every h). Each policy runs on its own copy of the data directory:

  chain       explore off: today's answer (popular, item-CF over the history, its fallbacks)
  mix0        explore on, share 0: popular in the inferred categories, fading into item-CF
  mix20       explore on, share 0.2 (the default): the same plus fresh items by the bandit
  onboard20   mix20, and the user picked the 2 genres most frequent in their first 5 positives

Usage: explore_replay.py RECO_BINARY DATASET_DIR WORK_DIR [MIN_HISTORY]   (default 5)
Prints a Markdown table of Recall@20 and NDCG@20 per policy and h.
"""
import csv
import collections
import json
import math
import os
import random
import re
import shutil
import subprocess
import sys
import time
import urllib.request

K = 20
HISTORY = [0, 1, 2, 3, 4]


def run(args, log):
    with open(log, "a") as out:
        subprocess.run(args, stdout=out, stderr=subprocess.STDOUT, check=True)


def http(port, method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.status, dict(r.headers), r.read().decode()


def serve(reco, data_dir, env, log):
    full_env = dict(os.environ, **env)
    out = open(log, "w")
    proc = subprocess.Popen([reco, "serve", "--data-dir", data_dir, "--http-port", "0"],
                            stdout=out, stderr=subprocess.STDOUT, env=full_env)
    deadline = time.time() + 120
    while time.time() < deadline:
        m = re.search(r"listening on \S*:(\d+)", open(log).read())
        if m:
            return proc, int(m.group(1))
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    proc.kill()
    sys.exit("reco serve did not start:\n" + open(log).read())


def dcg(hits):
    return sum(1.0 / math.log2(i + 2) for i, hit in enumerate(hits) if hit)


def main():
    reco, dataset, work = sys.argv[1], sys.argv[2], sys.argv[3]
    min_history = sys.argv[4] if len(sys.argv) > 4 else "5"
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    ratings = list(csv.DictReader(open(os.path.join(dataset, "ratings.csv"))))
    genres = {row["movieId"]: [g for g in row["genres"].split("|") if g != "(no genres listed)"]
              for row in csv.DictReader(open(os.path.join(dataset, "movies.csv")))}
    users = sorted({r["userId"] for r in ratings}, key=int)
    new_users = set(random.Random(1).sample(users, len(users) // 5))

    src = os.path.join(work, "train-src")
    os.makedirs(src)
    with open(os.path.join(src, "ratings.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["userId", "movieId", "rating", "timestamp"])
        w.writeheader()
        for r in ratings:
            if r["userId"] not in new_users:
                w.writerow(r)
    shutil.copy(os.path.join(dataset, "movies.csv"), src)
    base = os.path.join(work, "data")
    os.makedirs(base)
    log = os.path.join(work, "prepare.log")
    run([reco, "import", "--data-dir", base, "--format", "movielens", src], log)
    run([reco, "train", "--data-dir", base], log)

    positives = collections.defaultdict(list)
    for r in sorted(ratings, key=lambda r: int(r["timestamp"])):
        if r["userId"] in new_users and float(r["rating"]) >= 4.0:
            positives[r["userId"]].append(r["movieId"])
    replayed = sorted((u for u in new_users if len(positives[u]) >= 10), key=int)

    policies = {
        "chain": ({"RECO_EXPLORE_ENABLED": "false"}, False),
        "mix0": ({"RECO_EXPLORE_ENABLED": "true", "RECO_EXPLORE_SHARE": "0"}, False),
        "mix20": ({"RECO_EXPLORE_ENABLED": "true", "RECO_EXPLORE_SHARE": "0.2"}, False),
        "onboard20": ({"RECO_EXPLORE_ENABLED": "true", "RECO_EXPLORE_SHARE": "0.2"}, True),
    }
    results = {}
    for name, (env, onboard) in policies.items():
        data = os.path.join(work, "data-" + name)
        shutil.copytree(base, data)
        env = dict(env, RECO_EXPLORE_SEED="1", RECO_EXPLORE_MIN_HISTORY=min_history)
        proc, port = serve(reco, data, env, os.path.join(work, f"serve-{name}.log"))
        try:
            for h in HISTORY:
                recall = ndcg = 0.0
                for u in replayed:
                    user = f"replay-{h}-{u}"
                    test = set(positives[u][5:])
                    if onboard:
                        counts = collections.Counter(g for m in positives[u][:5] for g in genres[m])
                        picked = [g for g, _ in counts.most_common(2)]
                        http(port, "POST", "/api/user",
                             {"UserId": user, "Labels": {"categories": picked}, "Comment": ""})
                    if h > 0:
                        rows = [{"FeedbackType": "like", "UserId": user, "ItemId": m,
                                 "Timestamp": "2020-01-01T00:00:00Z", "Comment": ""}
                                for m in positives[u][:h]]
                        http(port, "POST", "/api/feedback", rows)
                    _, _, body = http(port, "GET", f"/api/recommend/{user}?n={K}")
                    ids = json.loads(body)
                    hits = [i in test for i in ids[:K]]
                    recall += sum(hits) / len(test)
                    ndcg += dcg(hits) / dcg([True] * min(K, len(test)))
                results[(name, h)] = (recall / len(replayed), ndcg / len(replayed))
        finally:
            proc.terminate()
            proc.wait()
    print(f"{len(replayed)} new users replayed (>= 10 positives), test = positives after the 5th,"
          f" explore.min_history = {min_history}\n")
    print("| policy | " + " | ".join(f"h={h} R@20 / N@20" for h in HISTORY) + " |")
    print("|---|" + "---|" * len(HISTORY))
    for name in policies:
        cells = [f"{results[(name, h)][0]:.4f} / {results[(name, h)][1]:.4f}" for h in HISTORY]
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
