#!/usr/bin/python3
"""The reco.v1 gRPC API driven by an independent client: Python's grpcio (Debian
python3-grpcio), against a real `reco serve --grpc-port 0` (ctest grpc_client).

  check_grpc.py SOURCE_DIR RECO_BINARY

1. Stubs are generated from proto/ with protoc and Debian's grpc_python_plugin.
2. A demo data directory (reco demo-data, import, train) is served with REST and gRPC.
3. Workflow: users, items and feedback inserted by client streams, then recommend, popular,
   latest, neighbours, similar, item detail, a model reload, the registry.
4. Parity: for every REST route with a gRPC twin the same request returns the same data.
5. Bad input: each malformed request gets INVALID_ARGUMENT naming the field (message and the
   google.rpc.BadRequest in grpc-status-details-bin), NOT_FOUND, and nothing of a rejected
   stream is written.
6. Dataset: an export by REST pages imported into an empty server by REST, and an export by
   gRPC stream imported into another by gRPC, both give back the same rows; a bad line or row
   is refused naming it and writes nothing.
7. The standard health service answers SERVING; reflection lists every service.
8. With server.api_key set: no key -> UNAUTHENTICATED, x-api-key and authorization: Bearer work;
   model actions follow the reload-token rule. A deadline that has passed -> DEADLINE_EXCEEDED.
Runs with Debian's /usr/bin/python3 (where python3-grpcio is installed).
"""
import datetime
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

from check_analytics import check_analytics

FAILURES = []


def fail(msg):
    print(f"FAIL: {msg}", flush=True)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        FAILURES.append(msg)
        print(f"FAIL: {msg}", flush=True)


def must(cmd):
    r = subprocess.run(cmd, text=True, capture_output=True)
    if r.returncode != 0:
        fail(f"{' '.join(cmd)} exited {r.returncode}:\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}")
    return r


def generate_stubs(src, out):
    protos = sorted(os.path.join(src, "proto/reco/v1", f)
                    for f in os.listdir(os.path.join(src, "proto/reco/v1")) if f.endswith(".proto"))
    must(["protoc", "-I", os.path.join(src, "proto"), "--python_out", out, "--grpc_python_out", out,
          "--plugin=protoc-gen-grpc_python=/usr/bin/grpc_python_plugin"] + protos)
    sys.path.insert(0, out)


class Server:
    def __init__(self, reco, data, log, env=None):
        self.log_path = log
        self.proc = subprocess.Popen(
            [reco, "serve", "--data-dir", data, "--http-port", "0", "--grpc-port", "0", "--init"],
            stdout=open(log, "w"), stderr=subprocess.STDOUT,
            env={**os.environ, "RECO_LOG_LEVEL": "debug", **(env or {})})
        deadline = time.monotonic() + 60
        self.http = self.grpc = None
        while time.monotonic() < deadline and (self.http is None or self.grpc is None):
            text = open(log).read()
            m = re.search(r"reco serve listening on http://[^:]+:(\d+)", text)
            g = re.search(r"grpc server listening on \S+?:(\d+)", text)
            self.http = int(m.group(1)) if m else None
            self.grpc = int(g.group(1)) if g else None
            if self.proc.poll() is not None:
                fail(f"reco serve exited {self.proc.returncode}:\n{text[-3000:]}")
            time.sleep(0.1)
        if self.http is None or self.grpc is None:
            fail(f"reco serve did not log both ports:\n{open(log).read()[-3000:]}")

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(30)

    def rest(self, method, path, body=None, headers=None):
        req = urllib.request.Request(f"http://127.0.0.1:{self.http}{path}", method=method,
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json", **(headers or {})})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, json.loads(r.read() or b"null"), dict(r.headers)
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null"), dict(e.headers)


def ts_text(ts):
    return ts.ToDatetime().replace(tzinfo=datetime.timezone.utc)


def rest_time(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def main():
    if len(sys.argv) != 3:
        fail("usage: check_grpc.py SOURCE_DIR RECO_BINARY")
    src, reco = sys.argv[1], os.path.abspath(sys.argv[2])
    try:
        import grpc  # noqa: F401
    except ImportError:
        fail("python3-grpcio is not installed for /usr/bin/python3 (scripts/install-deps.sh)")
    work = tempfile.mkdtemp(prefix="reco-grpc-")
    try:
        os.makedirs(os.path.join(work, "stubs"))
        generate_stubs(src, os.path.join(work, "stubs"))
        run(reco, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if FAILURES:
        fail(f"{len(FAILURES)} check(s) failed")
    print("OK")


def run(reco, work):
    import grpc
    from reco.v1 import behavior_pb2, behavior_pb2_grpc, common_pb2, item_pb2, item_pb2_grpc
    from reco.v1 import model_pb2, model_pb2_grpc, recommend_pb2, recommend_pb2_grpc

    json_dir, data = os.path.join(work, "json"), os.path.join(work, "data")
    must([reco, "demo-data", "--out", json_dir, "--users", "200", "--items", "300", "--days", "7",
          "--end", "2026-11-01"])
    must([reco, "import", "--data-dir", data, json_dir])
    must([reco, "train", "--data-dir", data])
    server = Server(reco, data, os.path.join(work, "serve.log"))
    try:
        channel = grpc.insecure_channel(f"127.0.0.1:{server.grpc}")
        grpc.channel_ready_future(channel).result(timeout=10)
        items = item_pb2_grpc.ItemServiceStub(channel)
        users = item_pb2_grpc.UserServiceStub(channel)
        behavior = behavior_pb2_grpc.BehaviorServiceStub(channel)
        rec = recommend_pb2_grpc.RecommendServiceStub(channel)
        models = model_pb2_grpc.ModelServiceStub(channel)

        # -- workflow: streams in, recommendations out
        new_items = [common_pb2.Item(item_id=f"g{i}", categories=["grpc", f"c{i % 3}"],
                                     labels_json=json.dumps({"n": i}), comment=f"item {i}")
                     for i in range(20)]
        r = items.InsertItems(iter(new_items))
        check(r.rows_affected == 20, f"InsertItems wrote {r.rows_affected}, want 20")
        r = users.InsertUsers(iter([common_pb2.User(user_id=f"gu{i}", labels_json="[1,2]")
                                    for i in range(5)]))
        check(r.rows_affected == 5, f"InsertUsers wrote {r.rows_affected}, want 5")
        rows = [common_pb2.Feedback(feedback_type="click", user_id=f"gu{u}", item_id=f"g{i}")
                for u in range(5) for i in range(u, u + 6)]
        r = behavior.InsertFeedback(iter(rows))
        check(r.rows_affected == len(rows), f"InsertFeedback wrote {r.rows_affected}")
        got = items.GetItem(item_pb2.ItemId(item_id="g3"))
        check(got.item_id == "g3" and list(got.categories) == ["grpc", "c0"] and
              json.loads(got.labels_json) == {"n": 3}, f"GetItem g3: {got}")
        answer = rec.Recommend(recommend_pb2.RecommendRequest(user_id="gu1", n=5))
        check(len(answer.item_ids) == 5, f"Recommend gu1 gave {list(answer.item_ids)}")
        check(answer.served_by.request_id != "" and answer.served_by.variant == "primary",
              f"served_by: {answer.served_by}")
        reload = models.Reload(model_pb2.ReloadRequest())
        check(reload.mode == "primary" and reload.run_id != "", f"Reload: {reload}")
        print("workflow: 20 items, 5 users, 30 feedback rows by stream; recommend, reload")

        parity(server, items, users, behavior, rec, models, item_pb2, common_pb2, behavior_pb2,
               recommend_pb2, model_pb2)
        bad_input(grpc, server, items, users, behavior, rec, models, item_pb2, common_pb2,
                  behavior_pb2, recommend_pb2, model_pb2)
        health_and_reflection(grpc, channel)
        check_analytics(grpc, server, channel, check)
        dataset_round_trips(grpc, reco, work, server, channel)
        log = open(server.log_path).read()
        check("event=grpc_request method=RecommendService/Recommend code=0" in log,
              "no debug line per RPC in the log")
        check(re.search(r"level=warn.*event=grpc_request method=ItemService/GetItem code=5", log)
              is not None, "no warn line for a failed RPC")
        with urllib.request.urlopen(f"http://127.0.0.1:{server.http}/metrics") as resp:
            text = resp.read().decode()
        check('grpc_requests_total{method="RecommendService/Recommend",code="0"}' in text,
              "grpc_requests_total has no Recommend series")
    finally:
        server.stop()
    auth(grpc, reco, data, work, item_pb2, item_pb2_grpc, model_pb2, model_pb2_grpc)


def parity(server, items, users, behavior, rec, models, item_pb2, common_pb2, behavior_pb2,
           recommend_pb2, model_pb2):
    rows = 0

    def same(route, rest_value, grpc_value):
        nonlocal rows
        rows += 1
        check(rest_value == grpc_value, f"parity {route}: REST {rest_value} != gRPC {grpc_value}")

    def scores(pairs):
        return [(i, round(s, 4)) for i, s in pairs]

    status, body, _ = server.rest("GET", "/api/item/g5")
    g = items.GetItem(item_pb2.ItemId(item_id="g5"))
    same("GET /api/item/{id}", (body["ItemId"], body["IsHidden"], body["Categories"],
                                body["Labels"], body["Comment"], rest_time(body["Timestamp"])),
         (g.item_id, g.is_hidden, list(g.categories), json.loads(g.labels_json), g.comment,
          ts_text(g.timestamp)))
    status, body, _ = server.rest("GET", "/api/user/gu2")
    g = users.GetUser(item_pb2.UserId(user_id="gu2"))
    same("GET /api/user/{id}", (body["UserId"], body["Labels"], body["Comment"]),
         (g.user_id, json.loads(g.labels_json), g.comment))
    status, body, _ = server.rest("GET", "/api/items?n=7")
    g = items.ListItems(common_pb2.PageRequest(n=7))
    same("GET /api/items", ([i["ItemId"] for i in body["Items"]], body["Cursor"]),
         ([i.item_id for i in g.items], g.cursor))
    status, body2, _ = server.rest("GET", f"/api/items?n=7&cursor={body['Cursor']}")
    g2 = items.ListItems(common_pb2.PageRequest(n=7, cursor=g.cursor))
    same("GET /api/items (page 2)", [i["ItemId"] for i in body2["Items"]], [i.item_id for i in g2.items])
    status, body, _ = server.rest("GET", "/api/users?n=6")
    g = users.ListUsers(common_pb2.PageRequest(n=6))
    same("GET /api/users", [u["UserId"] for u in body["Users"]], [u.user_id for u in g.users])
    status, body, _ = server.rest("GET", "/api/feedback?n=9")
    g = behavior.ListFeedback(behavior_pb2.ListFeedbackRequest(n=9))
    same("GET /api/feedback", [(f["FeedbackType"], f["UserId"], f["ItemId"]) for f in body["Feedback"]],
         [(f.feedback_type, f.user_id, f.item_id) for f in g.feedback])
    status, body, _ = server.rest("GET", "/api/feedback/click/gu0/g1")
    g = behavior.GetFeedback(behavior_pb2.FeedbackKey(feedback_type="click", user_id="gu0",
                                                      item_id="g1"))
    same("GET /api/feedback/{type}/{user}/{item}",
         (body["FeedbackType"], body["UserId"], body["ItemId"], rest_time(body["Timestamp"])),
         (g.feedback_type, g.user_id, g.item_id, ts_text(g.timestamp)))
    for user in ("u1", "u7", "gu3", "nobody"):
        status, body, headers = server.rest("GET", f"/api/recommend/{user}?n=8")
        g = rec.Recommend(recommend_pb2.RecommendRequest(user_id=user, n=8))
        same(f"GET /api/recommend/{user}", (body, headers.get("X-Reco-Model-Version"),
                                            headers.get("X-Reco-Variant")),
             (list(g.item_ids), g.served_by.model_version, g.served_by.variant))
        degraded = headers.get("X-Reco-Degraded")
        same(f"GET /api/recommend/{user} degraded", degraded.split(",") if degraded else [],
             list(g.served_by.degraded_reasons))
    status, body, _ = server.rest("GET", "/api/recommend/u1/c1?n=4&offset=2")
    g = rec.Recommend(recommend_pb2.RecommendRequest(user_id="u1", category="c1", n=4, offset=2))
    same("GET /api/recommend/{user}/{category}", body, list(g.item_ids))
    for route, call in (("popular", rec.Popular), ("latest", rec.Latest)):
        status, body, _ = server.rest("GET", f"/api/{route}?n=6")
        g = call(recommend_pb2.ListRequest(n=6))
        same(f"GET /api/{route}", scores((x["Id"], x["Score"]) for x in body),
             scores((x.item_id, x.score) for x in g.items))
        status, body, _ = server.rest("GET", f"/api/{route}/grpc?n=3")
        g = call(recommend_pb2.ListRequest(category="grpc", n=3))
        same(f"GET /api/{route}/{{category}}", [x["Id"] for x in body], [x.item_id for x in g.items])
    status, body, _ = server.rest("GET", "/api/item/i3/neighbors?n=5")
    g = rec.ItemNeighbors(recommend_pb2.NeighborsRequest(id="i3", n=5))
    same("GET /api/item/{id}/neighbors", scores((x["Id"], x["Score"]) for x in body),
         scores((x.item_id, x.score) for x in g.items))
    status, body, _ = server.rest("GET", "/api/user/u3/neighbors?n=5")
    g = rec.UserNeighbors(recommend_pb2.NeighborsRequest(id="u3", n=5))
    same("GET /api/user/{id}/neighbors", [x["Id"] for x in body], [x.item_id for x in g.items])
    session = [{"FeedbackType": "click", "UserId": "s", "ItemId": f"i{i}",
                "Timestamp": "2026-10-30T00:00:00Z"} for i in (1, 2, 3)]
    status, body, _ = server.rest("POST", "/api/session/recommend?n=5", session)
    g = rec.SessionRecommend(recommend_pb2.SessionRecommendRequest(
        n=5, session=[common_pb2.Feedback(feedback_type="click", user_id="s", item_id=f"i{i}")
                      for i in (1, 2, 3)]))
    same("POST /api/session/recommend", [x["Id"] for x in body], [x.item_id for x in g.items])
    status, body, _ = server.rest("GET", "/similar/i4?top_n=6")
    g = rec.Similar(recommend_pb2.NeighborsRequest(id="i4", n=6))
    same("GET /similar/{item}", (scores((x["item_id"], x["score"]) for x in body["similar_items"]),
                                  body["model_version"]),
         (scores((x.item_id, x.score) for x in g.items), g.served_by.model_created))
    status, body, _ = server.rest("GET", "/recommend/detail/i4?user_id=u2&top_n=6")
    g = rec.ItemDetail(recommend_pb2.ItemDetailRequest(item_id="i4", user_id="u2", n=6))
    same("GET /recommend/detail/{item}", [x["item_id"] for x in body["recommendations"]],
         [x.item_id for x in g.items])
    status, body, _ = server.rest("GET", "/api/v1/models")
    g = models.ListModelVersions(model_pb2.ListModelVersionsRequest())
    same("GET /api/v1/models", [(v["run_id"], v["aliases"]) for v in body["versions"]],
         [(v.run_id, list(v.aliases)) for v in g.versions])
    print(f"parity: {rows} REST/gRPC pairs compared")
    check(rows >= 25, f"only {rows} parity rows ran")


def bad_input(grpc, server, items, users, behavior, rec, models, item_pb2, common_pb2,
              behavior_pb2, recommend_pb2, model_pb2):
    from grpc_status_field import field_of  # noqa: E402 (written below, next to the stubs)
    count_before = len(items.ListItems(common_pb2.PageRequest(n=1000)).items)
    far_future = common_pb2.Feedback(feedback_type="click", user_id="gu0", item_id="g0")
    far_future.timestamp.FromSeconds(253402300000)
    cases = [
        ("InsertItems: an empty id in row 3", lambda: items.InsertItems(iter(
            [common_pb2.Item(item_id=f"bad{i}") for i in range(3)] + [common_pb2.Item(item_id="")])),
         grpc.StatusCode.INVALID_ARGUMENT, "[3]"),
        ("InsertItems: labels that are not JSON", lambda: items.InsertItems(iter(
            [common_pb2.Item(item_id="bad9"), common_pb2.Item(item_id="bad10", labels_json="{x")])),
         grpc.StatusCode.INVALID_ARGUMENT, "items[1].labels_json"),
        ("InsertUsers: an id longer than 256 bytes", lambda: users.InsertUsers(iter(
            [common_pb2.User(user_id="x" * 300)])), grpc.StatusCode.INVALID_ARGUMENT, "[0]"),
        ("InsertFeedback: a time after now + skew", lambda: behavior.InsertFeedback(iter(
            [far_future])), grpc.StatusCode.INVALID_ARGUMENT, "feedback[0].timestamp"),
        ("InsertFeedback: an empty feedback type", lambda: behavior.InsertFeedback(iter(
            [common_pb2.Feedback(feedback_type="", user_id="gu0", item_id="g0")])),
         grpc.StatusCode.INVALID_ARGUMENT, "[0]"),
        ("Recommend: n above max_n", lambda: rec.Recommend(
            recommend_pb2.RecommendRequest(user_id="u1", n=100000)),
         grpc.StatusCode.INVALID_ARGUMENT, "n"),
        ("Recommend: a negative offset", lambda: rec.Recommend(
            recommend_pb2.RecommendRequest(user_id="u1", offset=-1)),
         grpc.StatusCode.INVALID_ARGUMENT, "offset"),
        ("Recommend: an empty user id", lambda: rec.Recommend(recommend_pb2.RecommendRequest()),
         grpc.StatusCode.INVALID_ARGUMENT, "user_id"),
        ("ListItems: n = -1", lambda: items.ListItems(common_pb2.PageRequest(n=-1)),
         grpc.StatusCode.INVALID_ARGUMENT, "n"),
        ("PatchItem: labels that are not JSON", lambda: items.PatchItem(
            item_pb2.PatchItemRequest(item_id="g1", labels_json="[")),
         grpc.StatusCode.INVALID_ARGUMENT, "labels_json"),
        ("GetFeedback without a type", lambda: behavior.GetFeedback(
            behavior_pb2.FeedbackKey(user_id="gu0", item_id="g1")),
         grpc.StatusCode.INVALID_ARGUMENT, "feedback_type"),
        ("Reload: an unknown mode", lambda: models.Reload(model_pb2.ReloadRequest(mode="sideways")),
         grpc.StatusCode.INVALID_ARGUMENT, "mode"),
        ("GetItem: an unknown item", lambda: items.GetItem(item_pb2.ItemId(item_id="no-such")),
         grpc.StatusCode.NOT_FOUND, None),
        ("Similar: an unknown item", lambda: rec.Similar(recommend_pb2.NeighborsRequest(id="zz")),
         grpc.StatusCode.NOT_FOUND, None),
    ]
    for name, call, code, field in cases:
        try:
            call()
            check(False, f"{name}: accepted")
            continue
        except grpc.RpcError as e:
            got_field = field_of(e)
            check(e.code() == code, f"{name}: {e.code()} ({e.details()}), want {code}")
            if field is not None:
                check(field in e.details() and got_field is not None and field in got_field,
                      f"{name}: message {e.details()!r} / BadRequest field {got_field!r} do not "
                      f"name {field!r}")
    count_after = len(items.ListItems(common_pb2.PageRequest(n=1000)).items)
    check(count_after == count_before,
          f"a rejected stream wrote items: {count_before} before, {count_after} after")
    status, body, _ = server.rest("GET", "/api/item/bad0")
    check(status == 404, f"item bad0 of a rejected stream exists: {status} {body}")
    print(f"bad input: {len(cases)} cases, nothing of a rejected stream written")


def rest_export(server, page):
    lines, cursor, pages = [], "", 0
    while True:
        req = urllib.request.Request(
            f"http://127.0.0.1:{server.http}/api/v1/dataset/export?n={page}&cursor={cursor}")
        with urllib.request.urlopen(req, timeout=30) as r:
            body, cursor = r.read().decode(), r.headers["X-Reco-Next-Cursor"]
            check(r.headers["Content-Type"].startswith("application/x-ndjson"),
                  f"export content type {r.headers['Content-Type']}")
        lines += [l for l in body.split("\n") if l]
        pages += 1
        if not cursor:
            return lines, pages


def rest_import(server, text):
    req = urllib.request.Request(f"http://127.0.0.1:{server.http}/api/v1/dataset/import",
                                 method="POST", data=text.encode(),
                                 headers={"Content-Type": "application/x-ndjson"})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def canonical(lines):
    """The rows of JSON lines, comparable whatever their order."""
    return sorted(json.dumps(json.loads(l), sort_keys=True) for l in lines)


def grpc_rows(rows):
    out = []
    for row in rows:
        kind = row.WhichOneof("row")
        msg = getattr(row, kind)
        if kind == "user":
            out.append(("user", msg.user_id, json.dumps(json.loads(msg.labels_json), sort_keys=True), msg.comment))
        elif kind == "item":
            out.append(("item", msg.item_id, msg.is_hidden, tuple(msg.categories),
                        json.dumps(json.loads(msg.labels_json), sort_keys=True),
                        msg.timestamp.ToMicroseconds(), msg.comment))
        else:
            out.append(("feedback", msg.feedback_type, msg.user_id, msg.item_id,
                        msg.timestamp.ToMicroseconds(), msg.value))
    return sorted(out, key=repr)


def dataset_round_trips(grpc, reco, work, server, channel):
    from reco.v1 import common_pb2, dataset_pb2, dataset_pb2_grpc
    _, summary, _ = server.rest("GET", "/api/v1/data/summary")
    counts = summary
    total = counts["users"] + counts["items"] + counts["feedback"]
    lines, pages = rest_export(server, 500)
    check(len(lines) == total, f"REST export gave {len(lines)} rows, the store holds {total}")
    check(pages >= 3, f"REST export in {pages} pages")
    empty = Server(reco, os.path.join(work, "empty-rest"), os.path.join(work, "serve-empty.log"))
    try:
        bad = "\n".join(lines[:2] + ['{"Item": {"ItemId": ""}}'] + lines[2:5]) + "\n"
        status, body = rest_import(empty, bad)
        check(status == 400 and "line 3" in json.dumps(body),
              f"a bad line 3 gave {status} {body}")
        _, s, _ = empty.rest("GET", "/api/v1/data/summary")
        check(s["users"] == 0 and s["items"] == 0,
              f"a refused import wrote rows: {s}")
        status, body = rest_import(empty, "\n".join(lines) + "\n")
        check(status == 200 and body["Users"] + body["Items"] + body["Feedback"] == total,
              f"REST import: {status} {body}")
        again, _ = rest_export(empty, 10000)
        check(canonical(again) == canonical(lines), "REST export -> import -> export differs")
    finally:
        empty.stop()
    exported = list(dataset_pb2_grpc.DatasetServiceStub(channel).Export(
        dataset_pb2.ExportRequest(page_size=300)))
    check(len(exported) == total, f"gRPC export streamed {len(exported)} rows, want {total}")
    other = Server(reco, os.path.join(work, "empty-grpc"), os.path.join(work, "serve-empty2.log"))
    try:
        other_channel = grpc.insecure_channel(f"127.0.0.1:{other.grpc}")
        stub = dataset_pb2_grpc.DatasetServiceStub(other_channel)
        try:
            stub.Import(iter(exported[:3] + [dataset_pb2.DatasetRow(
                item=common_pb2.Item(item_id=""))]))
            check(False, "a gRPC import with an empty item id was accepted")
        except grpc.RpcError as e:
            check(e.code() == grpc.StatusCode.INVALID_ARGUMENT, f"bad gRPC import: {e.code()}")
        _, s, _ = other.rest("GET", "/api/v1/data/summary")
        check(sum(s[k] for k in ("users", "items", "feedback")) == 0,
              f"a refused gRPC import wrote rows: {s}")
        report = stub.Import(iter(exported))
        check(report.users + report.items + report.feedback == total, f"gRPC import: {report}")
        back = list(stub.Export(dataset_pb2.ExportRequest()))
        a, b = grpc_rows(exported), grpc_rows(back)
        sa, sb = set(a), set(b)
        diff = [x for x in a if x not in sb][:3] + [x for x in b if x not in sa][:3]
        check(a == b, f"gRPC export -> import -> export differs: {len(a)} vs {len(b)} rows, {diff}")
    finally:
        other.stop()
    print(f"dataset: {total} rows exported in {pages} REST pages and by gRPC stream, imported "
          "into empty servers and exported again unchanged; bad rows refused, nothing written")


def health_and_reflection(grpc, channel):
    check_health = channel.unary_unary("/grpc.health.v1.Health/Check",
                                       request_serializer=None, response_deserializer=None)
    check(check_health(b"") == b"\x08\x01", "grpc.health.v1.Health/Check('') is not SERVING")
    reflect = channel.stream_stream(
        "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
        request_serializer=None, response_deserializer=None)
    # ServerReflectionRequest{list_services = ""} is field 7, length 0.
    responses = list(reflect(iter([b"\x3a\x00"])))
    names = set(re.findall(rb"(grpc\.[\w.]+|reco\.v1\.\w+)", responses[0])) if responses else set()
    names = {n.decode() for n in names}
    want = {"reco.v1.ItemService", "reco.v1.UserService", "reco.v1.BehaviorService",
            "reco.v1.RecommendService", "reco.v1.ModelService", "reco.v1.DatasetService",
            "grpc.health.v1.Health"}
    check(want <= names, f"reflection lists {sorted(names)}, missing {sorted(want - names)}")
    print(f"health SERVING; reflection lists {len(names)} services")


def auth(grpc, reco, data, work, item_pb2, item_pb2_grpc, model_pb2, model_pb2_grpc):
    from reco.v1 import common_pb2
    key, token = "k-" + "a" * 30, "t-" + "b" * 30
    server = Server(reco, data, os.path.join(work, "serve-key.log"),
                    env={"RECO_SERVER_API_KEY": key, "MODEL_RELOAD_TOKEN": token})
    try:
        channel = grpc.insecure_channel(f"127.0.0.1:{server.grpc}")
        items = item_pb2_grpc.ItemServiceStub(channel)
        models = model_pb2_grpc.ModelServiceStub(channel)
        req = item_pb2.ItemId(item_id="i1")
        for name, md, want in [("no key", (), grpc.StatusCode.UNAUTHENTICATED),
                               ("a wrong key", (("x-api-key", "wrong"),), grpc.StatusCode.UNAUTHENTICATED),
                               ("x-api-key", (("x-api-key", key),), None),
                               ("authorization: Bearer", (("authorization", "Bearer " + key),), None)]:
            try:
                items.GetItem(req, metadata=md)
                check(want is None, f"GetItem with {name}: accepted, want {want}")
            except grpc.RpcError as e:
                check(e.code() == want, f"GetItem with {name}: {e.code()}, want {want}")
        for name, md, want in [("the API key", (("x-api-key", key),), grpc.StatusCode.UNAUTHENTICATED),
                               ("the reload token", (("authorization", "Bearer " + token),), None)]:
            try:
                models.Reload(model_pb2.ReloadRequest(), metadata=md)
                check(want is None, f"Reload with {name}: accepted, want {want}")
            except grpc.RpcError as e:
                check(e.code() == want, f"Reload with {name}: {e.code()} {e.details()}, want {want}")
        # A client stream whose deadline passes while the server reads it: the call fails with
        # DEADLINE_EXCEEDED and the rows read before are not written.
        def slow_stream():
            yield common_pb2.Item(item_id="late-1")
            time.sleep(1.0)
            yield common_pb2.Item(item_id="late-2")
        try:
            items.InsertItems(slow_stream(), metadata=(("x-api-key", key),), timeout=0.3)
            check(False, "a stream past its deadline was answered")
        except grpc.RpcError as e:
            check(e.code() == grpc.StatusCode.DEADLINE_EXCEEDED,
                  f"a stream past its deadline gave {e.code()}")
        time.sleep(0.5)
        try:
            items.GetItem(item_pb2.ItemId(item_id="late-1"), metadata=(("x-api-key", key),))
            check(False, "the row of a stream that missed its deadline was written")
        except grpc.RpcError as e:
            check(e.code() == grpc.StatusCode.NOT_FOUND, f"late-1: {e.code()}")
        print("auth: UNAUTHENTICATED without or with a wrong key; x-api-key and Bearer accepted; "
              "Reload needs the reload token; DEADLINE_EXCEEDED")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
