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
   A running A/B experiment over two scenarios: gRPC Recommend with a scenario names the same
   variant, scenario and items as REST.
8. With server.api_key set: no key -> UNAUTHENTICATED, x-api-key and authorization: Bearer work;
   model actions follow the reload-token rule. A deadline that has passed -> DEADLINE_EXCEEDED.
9. Scenarios, templates and experiments: parity with REST for every RPC, bad input (unknown
   recall source, one variant, start of a running experiment, ...), and the scripted workflow
   (create and start an experiment, serve its users, stop it, read its results).
10. Tenants: metadata x-tenant-id; a tenant's rows written over gRPC are its own on every
   service and invisible on default over REST and gRPC; REST's key rules and quotas.
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
        scenarios_and_experiments(grpc, server, channel)
        bad_input(grpc, server, items, users, behavior, rec, models, item_pb2, common_pb2,
                  behavior_pb2, recommend_pb2, model_pb2)
        health_and_reflection(grpc, channel)
        check_analytics(grpc, server, channel, check)
        dataset_round_trips(grpc, reco, work, server, channel)
        experiments(grpc, server, rec, recommend_pb2)
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
    tenants(grpc, reco, data, work)


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
    # The hot items of a real-time window (docs/realtime.md) answer the same on both.
    for query, request in (("window=1h&n=5", recommend_pb2.ListRequest(window="1h", n=5)),
                           ("window=decay&n=4&user-id=gu0",
                            recommend_pb2.ListRequest(window="decay", n=4, user_id="gu0"))):
        status, body, _ = server.rest("GET", f"/api/popular?{query}")
        g = rec.Popular(request)
        # Decayed scores shrink between the two calls (a half-life of hours moves the fourth
        # decimal within milliseconds): compared to two decimals.
        digits = 2 if "decay" in query else 4
        same(f"GET /api/popular?{query}", [(i, round(v, digits)) for i, v in
                                           ((x["Id"], x["Score"]) for x in body)],
             [(x.item_id, round(x.score, digits)) for x in g.items])
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
    # Supplied vectors: the same vector through each transport gives the same labels.
    status, body, _ = server.rest("PUT", "/api/item/g11/vector", {"Vector": [0.6, 0.8]})
    g = items.PutItemVector(item_pb2.ItemVector(item_id="g12", vector=[0.6, 0.8]))
    check(status == 200 and g.rows_affected == 1, f"PUT vector: REST {status} {body}, gRPC {g}")
    _, b11, _ = server.rest("GET", "/api/item/g11")
    _, b12, _ = server.rest("GET", "/api/item/g12")
    same("PUT /api/item/{id}/vector", b11["Labels"], {**b12["Labels"], "n": 11})
    status, body, _ = server.rest("PUT", "/api/items/vectors",
                                  [{"ItemId": "g13", "Vector": [1, 0]}, {"ItemId": "g14", "Vector": [0, 1]}])
    g = items.PutItemVectors(iter([item_pb2.ItemVector(item_id="g15", vector=[1, 0]),
                                   item_pb2.ItemVector(item_id="g16", vector=[0, 1])]))
    check(status == 200 and g.rows_affected == 2, f"PUT vectors: REST {status} {body}, gRPC {g}")
    same("PUT /api/items/vectors",
         [server.rest("GET", f"/api/item/{i}")[1]["Labels"]["embedding"] for i in ("g13", "g14")],
         [server.rest("GET", f"/api/item/{i}")[1]["Labels"]["embedding"] for i in ("g15", "g16")])
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
        ("Popular: a window not configured", lambda: rec.Popular(
            recommend_pb2.ListRequest(window="2h", n=3)), grpc.StatusCode.INVALID_ARGUMENT,
         "window"),
        ("Latest: a window", lambda: rec.Latest(recommend_pb2.ListRequest(window="1h", n=3)),
         grpc.StatusCode.INVALID_ARGUMENT, "window"),
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
        ("PutItemVectors: a value that is not finite in row 1", lambda: items.PutItemVectors(iter(
            [item_pb2.ItemVector(item_id="g17", vector=[0.6, 0.8]),
             item_pb2.ItemVector(item_id="g18", vector=[float("nan"), 1])])),
         grpc.StatusCode.INVALID_ARGUMENT, "[1].Vector"),
        ("PutItemVector: an unknown item", lambda: items.PutItemVector(
            item_pb2.ItemVector(item_id="no-such", vector=[0.6, 0.8])), grpc.StatusCode.NOT_FOUND,
         None),
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
    status, body, _ = server.rest("GET", "/api/item/g17")
    check("embedding" not in body["Labels"], f"g17's vector of a rejected stream was written: {body}")
    print(f"bad input: {len(cases)} cases, nothing of a rejected stream written")


def experiments(grpc, server, rec, recommend_pb2):
    """A running A/B experiment over two scenarios: gRPC Recommend with a scenario serves each
    user the variant REST serves (same scenario, items and experiment names); once stopped, the
    scenario asked and no experiment."""
    for name, source in (("gs_a", "popular"), ("gs_b", "latest")):
        status, body, _ = server.rest("POST", "/api/v1/scenarios",
                                      {"name": name, "recall": [{"source": source, "quota": 10}]})
        check(status == 201, f"scenario {name}: {status} {body}")
    definition = {"id": "gexp", "name": "grpc twin", "layer": "g", "traffic": 1,
                  "variants": [{"name": "A", "weight": 1, "target_kind": "scenario",
                                "target": "gs_a"},
                               {"name": "B", "weight": 1, "target_kind": "scenario",
                                "target": "gs_b"}],
                  "click_types": ["click"]}
    status, body, _ = server.rest("POST", "/api/v1/experiments", definition)
    check(status == 201, f"create experiment: {status} {body}")
    status, body, _ = server.rest("POST", "/api/v1/experiments/gexp/start")
    check(status == 200, f"start experiment: {status} {body}")
    variants = set()
    for i in range(20):
        user = f"u{i}"
        status, body, headers = server.rest("GET", f"/api/recommend/{user}?scenario=gs_a&n=5")
        g = rec.Recommend(recommend_pb2.RecommendRequest(user_id=user, n=5, scenario="gs_b"))
        served = headers.get("X-Reco-Scenario")
        variants.add(served)
        check(headers.get("X-Reco-Experiments") == "gexp=" + ("A" if served == "gs_a" else "B"),
              f"REST {user}: X-Reco-Experiments {headers.get('X-Reco-Experiments')}")
        check((g.served_by.scenario, [(e.experiment_id, e.variant) for e in g.served_by.experiments],
               list(g.item_ids)) ==
              (served, [tuple(headers.get("X-Reco-Experiments").split("="))], body),
              f"experiment parity {user}: REST {served} {body} gRPC {g.served_by}")
    check(variants == {"gs_a", "gs_b"}, f"both variants served: {variants}")
    status, body, _ = server.rest("POST", "/api/v1/experiments/gexp/stop")
    check(status == 200, f"stop experiment: {status} {body}")
    g = rec.Recommend(recommend_pb2.RecommendRequest(user_id="u1", n=5, scenario="gs_b"))
    check(g.served_by.scenario == "gs_b" and len(g.served_by.experiments) == 0,
          f"stopped experiment still served: {g.served_by}")
    try:
        rec.Recommend(recommend_pb2.RecommendRequest(user_id="u1", scenario="nope"))
        check(False, "Recommend with an unknown scenario succeeded")
    except grpc.RpcError as e:
        check(e.code() == grpc.StatusCode.NOT_FOUND, f"unknown scenario: {e.code()}")
    # The scenario's request fields: exclude over REST and gRPC gives the same list without the
    # excluded items; bad ones are INVALID_ARGUMENT naming the field on both.
    status, body, _ = server.rest("GET", "/api/recommend/u1?scenario=gs_a&n=5")
    check(status == 200 and len(body) >= 2, f"scenario list: {status} {body}")
    excluded = body[:2]
    status, body, _ = server.rest(
        "GET", "/api/recommend/u1?scenario=gs_a&n=5&exclude=" + ",".join(excluded))
    g = rec.Recommend(recommend_pb2.RecommendRequest(user_id="u1", n=5, scenario="gs_a",
                                                     exclude=excluded))
    check(status == 200 and list(g.item_ids) == body and not set(excluded) & set(body),
          f"exclude parity: REST {status} {body} gRPC {list(g.item_ids)} excluded {excluded}")
    bad = [
        ("exclude of a bad id", "exclude=" + "x" * 300, {"exclude": ["x" * 300]}, "exclude"),
        ("session of a bad id", "session=" + "s" * 300, {"session": "s" * 300}, "session"),
        ("item of a bad id", "item=" + "i" * 300, {"item": "i" * 300}, "item"),
    ]
    for name, query, fields, field in bad:
        status, rest_body, _ = server.rest("GET", f"/api/recommend/u1?scenario=gs_a&{query}")
        check(status == 400 and rest_body.get("error", {}).get("field") == field,
              f"REST {name}: {status} {rest_body}")
        try:
            rec.Recommend(recommend_pb2.RecommendRequest(user_id="u1", scenario="gs_a", **fields))
            check(False, f"gRPC {name}: accepted")
        except grpc.RpcError as e:
            check(e.code() == grpc.StatusCode.INVALID_ARGUMENT and field in e.details(),
                  f"gRPC {name}: {e.code()} {e.details()}")
        try:
            rec.Recommend(recommend_pb2.RecommendRequest(user_id="u1", **fields))
            check(False, f"gRPC {name} without a scenario: accepted")
        except grpc.RpcError as e:
            check(e.code() == grpc.StatusCode.INVALID_ARGUMENT and field in e.details(),
                  f"gRPC {name} without a scenario: {e.code()} {e.details()}")
    print("experiments: 20 users served the same variant by REST and gRPC; stopped, none; "
          "exclude, session and item checked on both")


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
            "reco.v1.ScenarioService", "reco.v1.TemplateService", "reco.v1.ExperimentService",
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


# -- scenarios, templates and experiments (ScenarioService, TemplateService, ExperimentService)

def opt_time(msg, field):
    return ts_text(getattr(msg, field)) if msg.HasField(field) else None


def rest_opt_time(text):
    return rest_time(text) if text is not None else None


def num(x):
    """A number as both transports write it: REST writes a NaN as null."""
    if x is None or x != x:
        return None
    return round(x, 9)


def experiment_rest_view(e):
    return (e["id"], e["name"], e["layer"], e["status"], num(e["traffic"]), e["buckets"],
            [(v["name"], num(v["weight"]), v["target_kind"], v["target"]) for v in e["variants"]],
            e["click_types"], e["conversion_types"],
            [rest_opt_time(e[k]) for k in ("started_at", "stopped_at", "created_at", "updated_at")])


def experiment_grpc_view(e):
    return (e.id, e.name, e.layer, e.status, num(e.traffic), [e.bucket_start, e.bucket_end],
            [(v.name, num(v.weight), v.target_kind, v.target) for v in e.variants],
            list(e.click_types), list(e.conversion_types),
            [opt_time(e, k) for k in ("started_at", "stopped_at", "created_at", "updated_at")])


COMPARISON_FIELDS = ("valid", "control", "treatment", "difference", "ci_low", "ci_high",
                     "std_error", "z", "p_value", "sequential_p_value", "significant")
SUMMARY_FIELDS = ("name", "users", "exposures", "clicks", "ctr", "conversions", "converted_users",
                  "conversion_rate", "clicked_users", "clicked_user_rate",
                  "conversions_per_exposure")
METRICS = ("ctr", "conversion_rate", "clicked_user_rate", "conversions_per_exposure")


def norm(v):
    return num(v) if isinstance(v, float) or v is None else v


def results_rest_view(r):
    return (experiment_rest_view(r["experiment"]), num(r["alpha"]),
            rest_opt_time(r["window"]["start"]), rest_opt_time(r["window"]["end"]), r["looks"],
            [tuple(norm(v[f]) for f in SUMMARY_FIELDS) for v in r["variants"]],
            [(c["variant"],) + tuple(tuple(norm(c[m][f]) for f in COMPARISON_FIELDS)
                                     for m in METRICS) for c in r["comparisons"]],
            (num(r["srm"]["chi_square"]), r["srm"]["dof"], num(r["srm"]["p_value"]),
             r["srm"]["mismatch"]),
            (r["log"]["lines"], r["log"]["bad_lines"], r["log"]["unknown_variant_exposures"],
             r["log"]["switched_users"]))


def results_grpc_view(r):
    return (experiment_grpc_view(r.experiment), num(r.alpha), opt_time(r, "window_start"),
            opt_time(r, "window_end"), r.looks,
            [tuple(norm(getattr(v, f)) for f in SUMMARY_FIELDS) for v in r.variants],
            [(c.variant,) + tuple(tuple(norm(getattr(getattr(c, m), f)) for f in COMPARISON_FIELDS)
                                  for m in METRICS) for c in r.comparisons],
            (num(r.srm.chi_square), r.srm.dof, num(r.srm.p_value), r.srm.mismatch),
            (r.log.lines, r.log.bad_lines, r.log.unknown_variant_exposures, r.log.switched_users))


def scenario_rest_view(body):
    config = {k: v for k, v in body.items() if k not in ("created", "updated")}
    return config, rest_opt_time(body["created"]), rest_opt_time(body["updated"])


def scenario_grpc_view(s):
    config = json.loads(s.config_json)
    check((config["name"], config["description"], config["template"]) ==
          (s.name, s.description, s.template), f"Scenario fields differ from config_json: {s}")
    return config, opt_time(s, "created"), opt_time(s, "updated")


def expect_error(grpc, name, call, code, field=None):
    """Calls `call`, which must fail with `code` and name `field` in its message (and, for
    INVALID_ARGUMENT, in the google.rpc.BadRequest detail); returns 1."""
    from grpc_status_field import field_of
    try:
        call()
        check(False, f"{name}: accepted, want {code}")
    except grpc.RpcError as e:
        check(e.code() == code, f"{name}: {e.code()} ({e.details()}), want {code}")
        if field is not None:
            check(field in e.details(), f"{name}: message {e.details()!r} does not name {field!r}")
        if field is not None and code == grpc.StatusCode.INVALID_ARGUMENT:
            got = field_of(e)
            check(got is not None and field in got,
                  f"{name}: the BadRequest field {got!r} does not name {field!r}")
    return 1


def scenarios_and_experiments(grpc, server, channel):
    from reco.v1 import experiment_pb2, experiment_pb2_grpc, scenario_pb2, scenario_pb2_grpc
    scenarios = scenario_pb2_grpc.ScenarioServiceStub(channel)
    templates = scenario_pb2_grpc.TemplateServiceStub(channel)
    experiments = experiment_pb2_grpc.ExperimentServiceStub(channel)
    E = experiment_pb2
    pairs = 0

    def same(route, rest_value, grpc_value):
        nonlocal pairs
        pairs += 1
        check(rest_value == grpc_value, f"parity {route}: REST {rest_value} != gRPC {grpc_value}")

    # Templates.
    _, body, _ = server.rest("GET", "/api/v1/templates")
    g = templates.ListTemplates(scenario_pb2.ListTemplatesRequest())
    same("GET /api/v1/templates",
         [(t["name"], t["title"], t["description"], t["scenario"]) for t in body],
         [(t.name, t.title, t.description, json.loads(t.scenario_json)) for t in g.templates])
    check(len(g.templates) >= 3, f"{len(g.templates)} templates")
    name = g.templates[0].name
    _, body, _ = server.rest("GET", f"/api/v1/templates/{name}")
    t = templates.GetTemplate(scenario_pb2.TemplateName(name=name))
    same("GET /api/v1/templates/{name}", (body["name"], body["title"], body["scenario"]),
         (t.name, t.title, json.loads(t.scenario_json)))

    # Scenarios: created over gRPC, read over both; created over REST, read over both.
    config = {"name": "g_feed", "description": "made over gRPC",
              "recall": [{"source": "popular", "quota": 40}, {"source": "latest", "quota": 10}],
              "fallback": ["latest"]}
    created = scenarios.CreateScenario(scenario_pb2.CreateScenarioRequest(
        config_json=json.dumps(config)))
    _, body, _ = server.rest("GET", "/api/v1/scenarios/g_feed")
    same("GET /api/v1/scenarios/{name} (created by gRPC)", scenario_rest_view(body),
         scenario_grpc_view(created))
    status, body, _ = server.rest("POST", "/api/v1/scenarios",
                                  {"template": name, "name": "r_feed", "description": "by REST"})
    check(status == 201, f"REST scenario from template: {status} {body}")
    g = scenarios.GetScenario(scenario_pb2.ScenarioName(name="r_feed"))
    same("POST /api/v1/scenarios (template) read by gRPC", scenario_rest_view(body),
         scenario_grpc_view(g))
    from_template = scenarios.CreateScenario(scenario_pb2.CreateScenarioRequest(
        config_json=json.dumps({"template": name, "name": "g_from_template"})))
    check(from_template.template == name, f"a scenario from template {name}: {from_template}")
    _, body, _ = server.rest("GET", "/api/v1/scenarios")
    g = scenarios.ListScenarios(scenario_pb2.ListScenariosRequest())
    same("GET /api/v1/scenarios", [scenario_rest_view(s) for s in body],
         [scenario_grpc_view(s) for s in g.scenarios])
    config["recall"] = [{"source": "itemcf", "quota": 20}]
    replaced = scenarios.ReplaceScenario(scenario_pb2.ReplaceScenarioRequest(
        name="g_feed", config_json=json.dumps(config)))
    _, body, _ = server.rest("GET", "/api/v1/scenarios/g_feed")
    same("PUT /api/v1/scenarios/{name}", scenario_rest_view(body), scenario_grpc_view(replaced))
    check(json.loads(replaced.config_json)["recall"] == [{"source": "itemcf", "quota": 20}],
          f"ReplaceScenario did not replace: {replaced.config_json}")
    r = scenarios.DeleteScenario(scenario_pb2.ScenarioName(name="g_from_template"))
    status, _, _ = server.rest("GET", "/api/v1/scenarios/g_from_template")
    same("DELETE /api/v1/scenarios/{name}", (status, 1), (404, r.rows_affected))

    # Experiments: the scripted workflow creates and starts one, users are assigned and served,
    # then it is stopped and its results read over both transports.
    definition = E.ExperimentDefinition(
        id="g_exp", name="gRPC experiment", layer="home", traffic=1.0,
        variants=[E.ExperimentVariant(name="control", weight=1, target_kind="scenario",
                                      target="r_feed"),
                  E.ExperimentVariant(name="b", weight=1, target_kind="scenario",
                                      target="g_feed")],
        click_types=["click"])
    e = experiments.CreateExperiment(definition)
    _, body, _ = server.rest("GET", "/api/v1/experiments/g_exp")
    same("POST /api/v1/experiments (by gRPC) read by REST", experiment_rest_view(body),
         experiment_grpc_view(e))
    update = E.ExperimentDefinition()
    update.CopyFrom(definition)
    update.id = ""
    update.name = "renamed"
    update.ClearField("traffic")  # absent: 1.0, as on REST
    e = experiments.UpdateExperiment(E.UpdateExperimentRequest(id="g_exp", definition=update))
    _, body, _ = server.rest("GET", "/api/v1/experiments/g_exp")
    same("PUT /api/v1/experiments/{id}", experiment_rest_view(body), experiment_grpc_view(e))
    check(e.name == "renamed" and e.traffic == 1.0, f"UpdateExperiment: {e}")
    status, body, _ = server.rest("POST", "/api/v1/experiments", {
        "id": "r_exp", "layer": "side", "traffic": 0.5, "click_types": ["click"],
        "variants": [{"name": "a", "weight": 1, "target_kind": "scenario", "target": "g_feed"},
                     {"name": "b", "weight": 2, "target_kind": "model_version", "target": "x"}]})
    check(status == 201, f"REST experiment: {status} {body}")
    g = experiments.GetExperiment(E.ExperimentId(id="r_exp"))
    same("GET /api/v1/experiments/{id}", experiment_rest_view(body), experiment_grpc_view(g))
    started = experiments.StartExperiment(E.ExperimentId(id="g_exp"))
    _, body, _ = server.rest("GET", "/api/v1/experiments/g_exp")
    same("POST /api/v1/experiments/{id}/start", experiment_rest_view(body),
         experiment_grpc_view(started))
    check(started.status == "running" and started.HasField("started_at"),
          f"StartExperiment: {started}")
    _, body, _ = server.rest("GET", "/api/v1/experiments")
    g = experiments.ListExperiments(E.ListExperimentsRequest())
    same("GET /api/v1/experiments", [experiment_rest_view(x) for x in body["experiments"]],
         [experiment_grpc_view(x) for x in g.experiments])
    rec = recommend_stub(channel)
    variants = set()
    for user in ("u1", "u2", "u3", "u4", "u5", "u6", "gu1"):
        _, body, _ = server.rest("GET", f"/api/v1/experiments/assignment/{user}")
        g = experiments.GetAssignment(E.AssignmentRequest(user_id=user))
        same(f"GET /api/v1/experiments/assignment/{user}",
             (body["user_id"], [(a["experiment_id"], a["layer"], a["variant"], a["target_kind"],
                                 a["target"]) for a in body["assignments"]]),
             (g.user_id, [(a.experiment_id, a.layer, a.variant, a.target_kind, a.target)
                          for a in g.assignments]))
        variants |= {a.variant for a in g.assignments if a.experiment_id == "g_exp"}
        rec.Recommend(recommend_request(user_id=user, n=5))
    check(variants == {"control", "b"}, f"7 users fell into the variants {variants}")
    running = experiments.GetResults(E.ExperimentId(id="g_exp"))
    check([v.name for v in running.variants] == ["control", "b"] and
          len(running.comparisons) == 1 and running.comparisons[0].variant == "b" and
          running.alpha > 0 and running.HasField("window_end"),
          f"GetResults of a running experiment: {running}")
    stopped = experiments.StopExperiment(E.ExperimentId(id="g_exp"))
    _, body, _ = server.rest("GET", "/api/v1/experiments/g_exp")
    same("POST /api/v1/experiments/{id}/stop", experiment_rest_view(body),
         experiment_grpc_view(stopped))
    # The exposure log is written behind the requests (a writer thread), so the served lists
    # reach the results within a moment: read both transports until the log has them all and
    # the two agree, then compare.
    deadline = time.monotonic() + 10
    while True:
        _, body, _ = server.rest("GET", "/api/v1/experiments/g_exp/results")
        g = experiments.GetResults(E.ExperimentId(id="g_exp"))
        settled = body["log"]["lines"] > 0 and body["log"]["lines"] == g.log.lines
        if settled or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    same("GET /api/v1/experiments/{id}/results", results_rest_view(body), results_grpc_view(g))
    check(g.HasField("computed_at") and g.HasField("srm") and g.HasField("log"),
          f"results without computed_at, srm or log: {g}")
    r = experiments.DeleteExperiment(E.ExperimentId(id="g_exp"))
    status, _, _ = server.rest("GET", "/api/v1/experiments/g_exp")
    same("DELETE /api/v1/experiments/{id}", (status, 1), (404, r.rows_affected))
    print(f"scenarios, templates, experiments: {pairs} REST/gRPC pairs compared; an experiment "
          "created, started, served, stopped and its results read over gRPC")
    check(pairs >= 18, f"only {pairs} scenario/experiment parity rows ran")

    # Bad input: the same errors as REST's 400 / 404 / 409.
    code = grpc.StatusCode
    one_variant = E.ExperimentDefinition()
    one_variant.CopyFrom(definition)
    one_variant.id = "one"
    del one_variant.variants[1:]
    bad_weight = E.ExperimentDefinition()
    bad_weight.CopyFrom(definition)
    bad_weight.id = "w"
    bad_weight.variants[1].weight = -1
    cases = 0
    cases += expect_error(grpc, "CreateScenario: an unknown recall source",
                          lambda: scenarios.CreateScenario(scenario_pb2.CreateScenarioRequest(
                              config_json=json.dumps({"name": "x", "recall": [
                                  {"source": "telepathy", "quota": 5}]}))),
                          code.INVALID_ARGUMENT, "recall[0].source")
    cases += expect_error(grpc, "CreateScenario: config_json that is not JSON",
                          lambda: scenarios.CreateScenario(
                              scenario_pb2.CreateScenarioRequest(config_json="{name")),
                          code.INVALID_ARGUMENT, "config_json")
    cases += expect_error(grpc, "CreateScenario: an unknown template",
                          lambda: scenarios.CreateScenario(scenario_pb2.CreateScenarioRequest(
                              config_json=json.dumps({"name": "y", "template": "nosuch"}))),
                          code.INVALID_ARGUMENT, "template")
    cases += expect_error(grpc, "CreateScenario: a taken name",
                          lambda: scenarios.CreateScenario(scenario_pb2.CreateScenarioRequest(
                              config_json=json.dumps(config))), code.ALREADY_EXISTS)
    cases += expect_error(grpc, "ReplaceScenario: another name in the document",
                          lambda: scenarios.ReplaceScenario(scenario_pb2.ReplaceScenarioRequest(
                              name="g_feed", config_json=json.dumps({**config, "name": "z"}))),
                          code.INVALID_ARGUMENT, "name")
    cases += expect_error(grpc, "ReplaceScenario: an unknown scenario",
                          lambda: scenarios.ReplaceScenario(scenario_pb2.ReplaceScenarioRequest(
                              name="nosuch", config_json=json.dumps({**config, "name": "nosuch"}))),
                          code.NOT_FOUND)
    cases += expect_error(grpc, "GetScenario: an unknown scenario",
                          lambda: scenarios.GetScenario(scenario_pb2.ScenarioName(name="nosuch")),
                          code.NOT_FOUND)
    cases += expect_error(grpc, "GetTemplate: an unknown template",
                          lambda: templates.GetTemplate(scenario_pb2.TemplateName(name="nosuch")),
                          code.NOT_FOUND)
    cases += expect_error(grpc, "CreateExperiment: one variant",
                          lambda: experiments.CreateExperiment(one_variant),
                          code.INVALID_ARGUMENT, "variants")
    cases += expect_error(grpc, "CreateExperiment: a negative weight",
                          lambda: experiments.CreateExperiment(bad_weight),
                          code.INVALID_ARGUMENT, "variants[1].weight")
    cases += expect_error(grpc, "CreateExperiment: a taken id",
                          lambda: experiments.CreateExperiment(E.ExperimentDefinition(
                              id="r_exp", layer="side", click_types=["click"],
                              variants=definition.variants)), code.ALREADY_EXISTS)
    cases += expect_error(grpc, "UpdateExperiment: another id in the definition",
                          lambda: experiments.UpdateExperiment(E.UpdateExperimentRequest(
                              id="r_exp", definition=definition)),
                          code.INVALID_ARGUMENT, "definition.id")
    experiments.StartExperiment(E.ExperimentId(id="r_exp"))
    cases += expect_error(grpc, "StartExperiment: already running",
                          lambda: experiments.StartExperiment(E.ExperimentId(id="r_exp")),
                          code.FAILED_PRECONDITION, "status")
    cases += expect_error(grpc, "DeleteExperiment: running",
                          lambda: experiments.DeleteExperiment(E.ExperimentId(id="r_exp")),
                          code.FAILED_PRECONDITION)
    cases += expect_error(grpc, "UpdateExperiment: the layer of a running one",
                          lambda: experiments.UpdateExperiment(E.UpdateExperimentRequest(
                              id="r_exp", definition=E.ExperimentDefinition(
                                  layer="other", click_types=["click"],
                                  variants=definition.variants))),
                          code.FAILED_PRECONDITION, "layer")
    cases += expect_error(grpc, "GetResults: an unknown experiment",
                          lambda: experiments.GetResults(E.ExperimentId(id="nosuch")),
                          code.NOT_FOUND)
    experiments.StopExperiment(E.ExperimentId(id="r_exp"))
    cases += expect_error(grpc, "StopExperiment: already stopped",
                          lambda: experiments.StopExperiment(E.ExperimentId(id="r_exp")),
                          code.FAILED_PRECONDITION, "status")
    print(f"scenario/experiment bad input: {cases} cases")


def recommend_stub(channel):
    from reco.v1 import recommend_pb2_grpc
    return recommend_pb2_grpc.RecommendServiceStub(channel)


def recommend_request(**kw):
    from reco.v1 import recommend_pb2
    return recommend_pb2.RecommendRequest(**kw)


# -- tenants over gRPC: metadata x-tenant-id with REST's rules

def tenants(grpc, reco, data, work):
    from reco.v1 import (behavior_pb2, behavior_pb2_grpc, common_pb2, dataset_pb2,
                         dataset_pb2_grpc, experiment_pb2, experiment_pb2_grpc, item_pb2,
                         item_pb2_grpc, model_pb2, model_pb2_grpc, recommend_pb2,
                         recommend_pb2_grpc, scenario_pb2, scenario_pb2_grpc)
    admin = "adm-" + "c" * 30
    lines = must([reco, "tenant", "create", "gb", "--data-dir", data]).stdout.strip().splitlines()
    b_key = lines[-1].strip()
    lines = must([reco, "tenant", "create", "gslow", "--data-dir", data,
                  "--requests-per-second", "1"]).stdout.strip().splitlines()
    slow_key = lines[-1].strip()
    lines = must([reco, "tenant", "create", "gsmall", "--data-dir", data,
                  "--max-items", "2"]).stdout.strip().splitlines()
    small_key = lines[-1].strip()
    server = Server(reco, data, os.path.join(work, "serve-tenants.log"),
                    env={"RECO_SERVER_API_KEY": admin})
    code = grpc.StatusCode
    try:
        channel = grpc.insecure_channel(f"127.0.0.1:{server.grpc}")
        items = item_pb2_grpc.ItemServiceStub(channel)
        users = item_pb2_grpc.UserServiceStub(channel)
        behavior = behavior_pb2_grpc.BehaviorServiceStub(channel)
        rec = recommend_pb2_grpc.RecommendServiceStub(channel)
        models = model_pb2_grpc.ModelServiceStub(channel)
        dataset = dataset_pb2_grpc.DatasetServiceStub(channel)
        scenarios = scenario_pb2_grpc.ScenarioServiceStub(channel)
        experiments = experiment_pb2_grpc.ExperimentServiceStub(channel)
        on_b = (("x-tenant-id", "gb"), ("x-api-key", b_key))
        admin_on_b = (("x-tenant-id", "gb"), ("authorization", "Bearer " + admin))
        on_default = (("x-api-key", admin),)

        # Every service acts on tenant gb's data when the metadata names it.
        r = items.InsertItems(iter([common_pb2.Item(item_id=f"b{i}", categories=["bc"])
                                    for i in range(6)]), metadata=on_b)
        check(r.rows_affected == 6, f"InsertItems in gb: {r}")
        r = users.InsertUsers(iter([common_pb2.User(user_id=f"bu{i}") for i in range(3)]),
                              metadata=on_b)
        check(r.rows_affected == 3, f"InsertUsers in gb: {r}")
        r = behavior.InsertFeedback(iter([common_pb2.Feedback(feedback_type="click",
                                                              user_id=f"bu{u}", item_id=f"b{i}")
                                          for u in range(3) for i in range(u, u + 2)]),
                                    metadata=on_b)
        check(r.rows_affected == 6, f"InsertFeedback in gb: {r}")
        got = items.GetItem(item_pb2.ItemId(item_id="b2"), metadata=on_b)
        check(got.item_id == "b2" and list(got.categories) == ["bc"], f"GetItem b2 in gb: {got}")
        got = items.GetItem(item_pb2.ItemId(item_id="b2"), metadata=admin_on_b)
        check(got.item_id == "b2", "the admin key does not read tenant gb")
        page = items.ListItems(common_pb2.PageRequest(n=100), metadata=on_b)
        check(sorted(i.item_id for i in page.items) == [f"b{i}" for i in range(6)],
              f"ListItems in gb: {[i.item_id for i in page.items]}")
        fb = behavior.ListFeedback(behavior_pb2.ListFeedbackRequest(n=100), metadata=on_b)
        check(len(fb.feedback) == 6, f"ListFeedback in gb: {len(fb.feedback)} rows")
        pop = rec.Popular(recommend_pb2.ListRequest(n=10), metadata=on_b)
        check(pop.items and all(x.item_id.startswith("b") for x in pop.items),
              f"Popular in gb served {[x.item_id for x in pop.items]}")
        answer = rec.Recommend(recommend_pb2.RecommendRequest(user_id="bu0", n=3), metadata=on_b)
        check(all(i.startswith("b") for i in answer.item_ids),
              f"Recommend in gb served {list(answer.item_ids)}")
        versions = models.ListModelVersions(model_pb2.ListModelVersionsRequest(), metadata=on_b)
        default_versions = models.ListModelVersions(model_pb2.ListModelVersionsRequest(),
                                                    metadata=on_default)
        check(len(versions.versions) == 0 and len(default_versions.versions) > 0,
              f"ModelService: gb has {len(versions.versions)} versions, default "
              f"{len(default_versions.versions)}")
        rows = list(dataset.Export(dataset_pb2.ExportRequest(), metadata=on_b))
        check(len(rows) == 6 + 3 + 6, f"DatasetService.Export of gb streamed {len(rows)} rows")
        scenarios.CreateScenario(scenario_pb2.CreateScenarioRequest(config_json=json.dumps(
            {"name": "b_only", "recall": [{"source": "popular", "quota": 10}]})), metadata=on_b)
        listed = scenarios.ListScenarios(scenario_pb2.ListScenariosRequest(), metadata=on_b)
        check([s.name for s in listed.scenarios] == ["b_only"],
              f"gb's scenarios: {[s.name for s in listed.scenarios]}")
        E = experiment_pb2
        experiments.CreateExperiment(E.ExperimentDefinition(
            id="b_exp", layer="l", click_types=["click"],
            variants=[E.ExperimentVariant(name="a", weight=1, target_kind="scenario",
                                          target="b_only"),
                      E.ExperimentVariant(name="b", weight=1, target_kind="scenario",
                                          target="b_only")]), metadata=on_b)
        started = experiments.StartExperiment(E.ExperimentId(id="b_exp"), metadata=on_b)
        check(started.status == "running", f"StartExperiment in gb with gb's key: {started}")

        # Nothing of gb is visible on default, over gRPC or REST.
        expect_error(grpc, "GetItem b2 on default (gRPC)",
                     lambda: items.GetItem(item_pb2.ItemId(item_id="b2"), metadata=on_default),
                     code.NOT_FOUND)
        status, _, _ = server.rest("GET", "/api/item/b2", headers={"X-API-Key": admin})
        check(status == 404, f"GET /api/item/b2 on default (REST): {status}")
        status, body, _ = server.rest("GET", "/t/gb/api/item/b2", headers={"X-API-Key": b_key})
        check(status == 200 and body["ItemId"] == "b2",
              f"GET /t/gb/api/item/b2 (REST) of an item inserted over gRPC: {status}")
        expect_error(grpc, "GetScenario b_only on default",
                     lambda: scenarios.GetScenario(scenario_pb2.ScenarioName(name="b_only"),
                                                   metadata=on_default), code.NOT_FOUND)
        expect_error(grpc, "GetExperiment b_exp on default",
                     lambda: experiments.GetExperiment(E.ExperimentId(id="b_exp"),
                                                       metadata=on_default), code.NOT_FOUND)
        users_default = users.ListUsers(common_pb2.PageRequest(n=1000), metadata=on_default)
        check(not any(u.user_id.startswith("bu") for u in users_default.users),
              "gb's users are listed on default")

        # The credential rules of REST's tenant front.
        for name, call, want, field in [
            ("gb's key on default", lambda: items.GetItem(
                item_pb2.ItemId(item_id="i1"), metadata=(("x-api-key", b_key),)),
             code.PERMISSION_DENIED, "may act only on tenant gb"),
            ("gb's key on default, a model action", lambda: models.Reload(
                model_pb2.ReloadRequest(), metadata=(("x-api-key", b_key),)),
             code.PERMISSION_DENIED, "may act only on tenant gb"),
            ("gb's key on gslow", lambda: items.ListItems(
                common_pb2.PageRequest(), metadata=(("x-tenant-id", "gslow"), ("x-api-key", b_key))),
             code.PERMISSION_DENIED, "may act only on tenant gb"),
            ("no key on gb", lambda: items.ListItems(
                common_pb2.PageRequest(), metadata=(("x-tenant-id", "gb"),)),
             code.UNAUTHENTICATED, "x-api-key"),
            ("an unknown key on gb", lambda: items.ListItems(
                common_pb2.PageRequest(), metadata=(("x-tenant-id", "gb"), ("x-api-key", "nope"))),
             code.UNAUTHENTICATED, "x-api-key"),
            ("an unregistered tenant", lambda: items.ListItems(
                common_pb2.PageRequest(), metadata=(("x-tenant-id", "nosuch"),
                                                    ("x-api-key", admin))),
             code.NOT_FOUND, "nosuch"),
            ("a malformed tenant name", lambda: items.ListItems(
                common_pb2.PageRequest(), metadata=(("x-tenant-id", "Bad/Name"),
                                                    ("x-api-key", admin))),
             code.INVALID_ARGUMENT, "x-tenant-id"),
        ]:
            expect_error(grpc, name, call, want, field)
        # The admin key acts on gb, model actions included (REST's /t/gb/models/reload rule).
        versions = models.ListModelVersions(model_pb2.ListModelVersionsRequest(),
                                            metadata=admin_on_b)
        check(len(versions.versions) == 0, "the admin key on gb read another registry")
        # requests_per_second = 1: the second call at once is RESOURCE_EXHAUSTED, on gRPC and
        # then REST, which share the tenant's bucket.
        on_slow = (("x-tenant-id", "gslow"), ("x-api-key", slow_key))
        items.ListItems(common_pb2.PageRequest(), metadata=on_slow)
        expect_error(grpc, "gslow over its requests_per_second",
                     lambda: items.ListItems(common_pb2.PageRequest(), metadata=on_slow),
                     code.RESOURCE_EXHAUSTED)
        status, _, headers = server.rest("GET", "/t/gslow/api/items",
                                         headers={"X-API-Key": slow_key})
        check(status == 429, f"REST right after gRPC spent gslow's token: {status}")
        # max_items = 2: a stream of 3 items is refused whole, as REST's 403 naming the quota.
        on_small = (("x-tenant-id", "gsmall"), ("x-api-key", small_key))
        expect_error(grpc, "gsmall: 3 items over max_items = 2",
                     lambda: items.InsertItems(iter([common_pb2.Item(item_id=f"s{i}")
                                                     for i in range(3)]), metadata=on_small),
                     code.PERMISSION_DENIED, "max_items")
        left = items.ListItems(common_pb2.PageRequest(), metadata=on_small)
        check(len(left.items) == 0, f"a stream over max_items wrote {len(left.items)} items")
        print("tenants: gb's rows inserted over gRPC are gb's on every service and invisible on "
              "default over REST and gRPC; foreign key PERMISSION_DENIED, no key "
              "UNAUTHENTICATED, unknown tenant NOT_FOUND, admin key works, quota "
              "RESOURCE_EXHAUSTED, max_items PERMISSION_DENIED")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
