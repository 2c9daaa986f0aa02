#!/usr/bin/env python3
"""Upgrade of a data directory written by an older reco (ctest store_upgrade, label upgrade).

  check_upgrade.py SOURCE_DIR RECO_BINARY

1. DATA_DIR/reco.db is built from tests/upgrade/schema_v1.sql: schema version 1, the oldest the
   sqlite backend migrates from, with users, items (labels, categories, a hidden one) and
   feedback as that release wrote them.
2. The current `reco serve` opens it: every row is answered by the REST API as it was written,
   schema_migrations reaches the newest version of src/store/sqlite/schema.cc, and new feedback
   is ordered after the old rows (the sequence counter survived the migration).
3. `reco train` trains from the migrated store; a second start applies no migration again.
4. A store whose schema version is newer than the binary knows: `reco serve` exits non-zero
   with a message saying so, and the file is left as it was (the store-level case is
   SqliteStoreTest.RefusesADatabaseFromANewerVersion).
"""
import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request


def fail(msg):
    print(f"FAIL: {msg}", flush=True)
    sys.exit(1)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def latest_version(src):
    text = open(os.path.join(src, "src/store/sqlite/schema.cc")).read()
    versions = [int(v) for v in re.findall(r"^\s+\{(\d+),\s*$", text, re.M)]
    if not versions:
        fail("no migration found in src/store/sqlite/schema.cc")
    return max(versions)


def migrations(db):
    with sqlite3.connect(db) as conn:
        return [row[0] for row in conn.execute("SELECT version FROM schema_migrations ORDER BY 1")]


class Serve:
    def __init__(self, reco, data, log):
        self.port = free_port()
        self.log = open(log, "w")
        self.proc = subprocess.Popen([reco, "serve", "--data-dir", data, "--http-port",
                                      str(self.port)], stdout=self.log, stderr=subprocess.STDOUT)
        self.base = f"http://127.0.0.1:{self.port}"
        for _ in range(100):
            if self.proc.poll() is not None:
                fail(f"reco serve exited {self.proc.returncode}: {open(log).read()[-2000:]}")
            try:
                urllib.request.urlopen(self.base + "/api/health/ready", timeout=2)
                return
            except OSError:
                time.sleep(0.1)
        fail("reco serve was not ready after 10 s")

    def get(self, path):
        with urllib.request.urlopen(self.base + path, timeout=5) as r:
            return json.loads(r.read())

    def post(self, path, body):
        req = urllib.request.Request(self.base + path, data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
        with urllib.request.urlopen(req, timeout=5) as r:
            return json.loads(r.read())

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=20)
        self.log.close()


def check_rows(serve):
    alice = serve.get("/api/user/alice")
    if alice["Labels"] != {"city": "Shanghai"} or alice["Comment"] != "first user":
        fail(f"user alice after the upgrade: {alice}")
    book = serve.get("/api/item/book-1")
    if book["Categories"] != ["books", "new"] or book["Labels"] != {"author": "Lu Xun"} or \
       book["Timestamp"] != "2023-11-14T22:13:20Z" or book["Comment"] != "a book":
        fail(f"item book-1 after the upgrade: {book}")
    if serve.get("/api/item/hidden-1")["IsHidden"] is not True:
        fail("item hidden-1 lost IsHidden")
    rows = serve.get("/api/feedback?n=100")["Feedback"]
    got = [(f["FeedbackType"], f["UserId"], f["ItemId"], f["Comment"]) for f in rows]
    want = [("click", "alice", "book-1", "c1"), ("like", "alice", "film-1", ""),
            ("like", "bob", "book-1", ""), ("click", "bob", "film-1", "")]
    if got != want:
        fail(f"feedback after the upgrade, in write order: {got}, want {want}")
    print(f"rows intact: 2 users, 3 items, {len(rows)} feedback as written")


def check_new_writes(serve):
    serve.post("/api/feedback", [{"FeedbackType": "like", "UserId": "alice", "ItemId": "hidden-1",
                                  "Value": 1, "Timestamp": "2026-01-01T00:00:00Z"}])
    rows = serve.get("/api/feedback?n=100")["Feedback"]
    if len(rows) != 5 or not any(f["ItemId"] == "hidden-1" for f in rows):
        fail(f"new feedback is not listed with the migrated rows: {rows}")


def check_sequence(db):
    """The write sequence (the rowid since version 3) continues after the migrated rows."""
    with sqlite3.connect(db) as conn:
        seqs = conn.execute(
            "SELECT f.seq FROM feedback f JOIN users u ON u.idx = f.user_idx"
            " JOIN items i ON i.idx = f.item_idx ORDER BY f.seq").fetchall()
        new = conn.execute(
            "SELECT f.seq FROM feedback f JOIN users u ON u.idx = f.user_idx"
            " JOIN items i ON i.idx = f.item_idx"
            " WHERE u.user_id = 'alice' AND i.item_id = 'hidden-1'").fetchall()
    if [s for (s,) in seqs] != [1, 2, 3, 4, 5] or new != [(5,)]:
        fail(f"feedback sequence after the upgrade: {seqs}, new row {new}; want 1..5, new 5")
    print("new feedback written after the migrated rows (seq 5)")


def main():
    if len(sys.argv) != 3:
        fail("usage: check_upgrade.py SOURCE_DIR RECO_BINARY")
    src, reco = sys.argv[1:]
    latest = latest_version(src)
    with tempfile.TemporaryDirectory(prefix="reco-upgrade-") as work:
        data = os.path.join(work, "data")
        os.makedirs(data)
        db = os.path.join(data, "reco.db")
        with sqlite3.connect(db) as conn:
            conn.executescript(open(os.path.join(src, "tests/upgrade/schema_v1.sql")).read())
        if migrations(db) != [1]:
            fail(f"the fixture is not at schema version 1: {migrations(db)}")

        serve = Serve(reco, data, os.path.join(work, "serve1.log"))
        try:
            check_rows(serve)
            check_new_writes(serve)
        finally:
            serve.stop()
        if migrations(db) != list(range(1, latest + 1)):
            fail(f"schema_migrations after the upgrade: {migrations(db)}, want 1..{latest}")
        check_sequence(db)
        print(f"schema version 1 -> {latest}")

        r = subprocess.run([reco, "train", "--data-dir", data], text=True, capture_output=True)
        if r.returncode != 0:
            fail(f"reco train on the migrated store exited {r.returncode}: {r.stderr[-2000:]}")
        serve = Serve(reco, data, os.path.join(work, "serve2.log"))
        try:
            if serve.get("/health")["models_loaded"] is not True:
                fail("no models loaded after training the migrated store")
            check_rows_count = len(serve.get("/api/feedback?n=100")["Feedback"])
        finally:
            serve.stop()
        if check_rows_count != 5 or migrations(db) != list(range(1, latest + 1)):
            fail(f"second start: {check_rows_count} feedback, migrations {migrations(db)}")
        print("trained from the migrated store; a second start migrates nothing")

        with sqlite3.connect(db) as conn:
            conn.execute("INSERT INTO schema_migrations VALUES(?, 0)", (latest + 1,))
        before = migrations(db)
        r = subprocess.run([reco, "serve", "--data-dir", data, "--http-port", str(free_port())],
                           text=True, capture_output=True, timeout=30)
        out = r.stdout + r.stderr
        print(out.strip()[-600:])
        if r.returncode == 0:
            fail("reco serve started on a store with a newer schema version")
        needle = f"has schema version {latest + 1} but this reco supports up to {latest}"
        if needle not in out or "upgrade reco" not in out:
            fail(f"the refusal does not say {needle!r} and 'upgrade reco'")
        if migrations(db) != before:
            fail(f"the refused store was changed: {migrations(db)}")
        print("a newer schema is refused with a clear message, the file untouched")
    print("OK")


if __name__ == "__main__":
    main()
