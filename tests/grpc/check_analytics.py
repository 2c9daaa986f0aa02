"""reco.v1.AnalyticsService against its REST twins (/api/v1/analytics/*), run by check_grpc.py
on its server once the workflow has served lists:

- parity: the same window and parameters over REST and gRPC give the same figures (summary
  grouped by every dimension, click and conversion types, top items by each order, coverage);
- a list served by gRPC and clicked after (PutFeedback) counts as a click in both;
- bad input: each malformed request gets INVALID_ARGUMENT naming the field over gRPC (message
  and google.rpc.BadRequest) and 400 naming the same field over REST;
- reflection lists reco.v1.AnalyticsService.
"""
import datetime
import re
import urllib.parse


def _window():
    tomorrow = datetime.datetime.now(datetime.timezone.utc).date() + datetime.timedelta(days=1)
    return "2020-01-01", tomorrow.isoformat()


def _counts(c):
    """Counts of a REST row/totals object or an AnalyticsCounts message, comparable."""
    keys = ("exposures", "exposed_users", "impressions", "clicks", "clicked_items", "ctr",
            "item_ctr", "conversions")
    if isinstance(c, dict):
        return tuple(round(c[k], 9) if isinstance(c[k], float) else c[k] for k in keys)
    return tuple(round(getattr(c, k), 9) if isinstance(getattr(c, k), float) else getattr(c, k)
                 for k in keys)


def _basis(b):
    """The window, types and log counts of a REST answer or an AnalyticsBasis message."""
    if isinstance(b, dict):
        return (b["window"]["from"], b["window"]["to"], b["click_types"], b["conversion_types"],
                b["click_window_seconds"], b["log"]["lines"], b["log"]["bad_lines"])
    stamp = lambda t: t.ToDatetime().strftime("%Y-%m-%dT%H:%M:%SZ")  # noqa: E731
    return (stamp(getattr(b, "from")), stamp(b.to), list(b.click_types), list(b.conversion_types),
            b.click_window_seconds, b.lines, b.bad_lines)


def check_analytics(grpc, server, channel, check):
    from grpc_status_field import field_of
    from reco.v1 import analytics_pb2, analytics_pb2_grpc, behavior_pb2_grpc, common_pb2
    from reco.v1 import recommend_pb2, recommend_pb2_grpc
    stub = analytics_pb2_grpc.AnalyticsServiceStub(channel)
    frm, to = _window()
    pairs = 0

    def same(what, rest_value, grpc_value):
        nonlocal pairs
        pairs += 1
        check(rest_value == grpc_value, f"analytics parity {what}: REST {rest_value} != gRPC "
                                        f"{grpc_value}")

    def rest(path, **query):
        query.update({"from": frm, "to": to})
        status, body, _ = server.rest("GET", f"{path}?{urllib.parse.urlencode(query)}")
        check(status == 200, f"GET {path} {query}: {status} {body}")
        return body

    def grpc_range(**kw):
        return analytics_pb2.AnalyticsRange(**{"from": frm, "to": to}, **kw)

    # A list served by gRPC, its first item clicked after it (PutFeedback: the time is now).
    served = recommend_pb2_grpc.RecommendServiceStub(channel).Recommend(
        recommend_pb2.RecommendRequest(user_id="gu4", n=5))
    check(len(served.item_ids) > 0, "Recommend gu4 gave no items")
    behavior_pb2_grpc.BehaviorServiceStub(channel).PutFeedback(iter([common_pb2.Feedback(
        feedback_type="click", user_id="gu4", item_id=served.item_ids[0])]))

    for group_by in ("", "scenario", "model_version,variant", "experiment,day",
                     "scenario,model_version,variant,experiment,day"):
        body = rest("/api/v1/analytics/summary", group_by=group_by)
        g = stub.Summary(analytics_pb2.SummaryRequest(
            group_by=[d for d in group_by.split(",") if d], range=grpc_range()))
        columns = body["group_by"]
        same(f"summary group_by={group_by!r}",
             (_basis(body), columns, [([r[c] for c in columns], _counts(r)) for r in body["rows"]],
              _counts(body["totals"])),
             (_basis(g.basis), list(g.columns),
              [(list(r.values), _counts(r.counts)) for r in g.rows], _counts(g.totals)))
        check(g.totals.exposures > 0, f"summary {group_by!r}: no exposures")
        check(g.totals.clicks >= 1, f"summary {group_by!r}: gu4's click is not counted: "
                                    f"{g.totals}")
    body = rest("/api/v1/analytics/summary", group_by="day", click_types="click,like",
                conversion_types="click")
    g = stub.Summary(analytics_pb2.SummaryRequest(group_by=["day"], range=grpc_range(
        click_types=["click", "like"], conversion_types=["click"])))
    same("summary with click and conversion types",
         ([_counts(r) for r in body["rows"]], body["click_types"], body["conversion_types"]),
         ([_counts(r.counts) for r in g.rows], list(g.basis.click_types),
          list(g.basis.conversion_types)))
    check(g.totals.conversions >= 1, f"conversions of type click: {g.totals}")

    scenario = stub.Summary(analytics_pb2.SummaryRequest(group_by=["scenario"],
                                                         range=grpc_range())).rows[0].values[0]
    for by in ("exposures", "clicks", "ctr"):
        for n, scn in ((7, ""), (3, scenario)):
            body = rest("/api/v1/analytics/top-items", by=by, n=n, scenario=scn)
            g = stub.TopItems(analytics_pb2.TopItemsRequest(by=by, n=n,
                                                            range=grpc_range(scenario=scn)))
            same(f"top-items by={by} n={n} scenario={scn!r}",
                 (body["by"], [(i["item_id"], i["exposures"], i["clicks"], round(i["ctr"], 9))
                               for i in body["items"]]),
                 (g.by, [(i.item_id, i.exposures, i.clicks, round(i.ctr, 9)) for i in g.items]))
            check(0 < len(g.items) <= n, f"top-items by={by} n={n}: {len(g.items)} items")
    for scn in ("", scenario):
        body = rest("/api/v1/analytics/coverage", scenario=scn)
        g = stub.Coverage(analytics_pb2.CoverageRequest(range=grpc_range(scenario=scn)))
        keys = ("catalogue_items", "exposed_items", "exposed_catalogue_items", "coverage",
                "impressions", "gini", "top_items", "top_share")
        same(f"coverage scenario={scn!r}",
             tuple(round(body[k], 9) for k in keys), tuple(round(getattr(g, k), 9) for k in keys))
        check(g.catalogue_items > 0 and 0 < g.coverage <= 1, f"coverage: {g}")

    # Bad input: the gRPC call and its REST twin name the same field.
    cases = [
        ("Summary: an unknown dimension", "group_by",
         lambda: stub.Summary(analytics_pb2.SummaryRequest(group_by=["colour"])),
         "/api/v1/analytics/summary?group_by=colour"),
        ("Summary: a dimension twice", "group_by",
         lambda: stub.Summary(analytics_pb2.SummaryRequest(group_by=["day", "day"])),
         "/api/v1/analytics/summary?group_by=day,day"),
        ("Summary: from after to", "from",
         lambda: stub.Summary(analytics_pb2.SummaryRequest(range=analytics_pb2.AnalyticsRange(
             **{"from": "2026-11-02", "to": "2026-11-01"}))),
         "/api/v1/analytics/summary?from=2026-11-02&to=2026-11-01"),
        ("Summary: a bad to", "to",
         lambda: stub.Summary(analytics_pb2.SummaryRequest(
             range=analytics_pb2.AnalyticsRange(to="tomorrow"))),
         "/api/v1/analytics/summary?to=tomorrow"),
        ("TopItems: an unknown order", "by",
         lambda: stub.TopItems(analytics_pb2.TopItemsRequest(by="views")),
         "/api/v1/analytics/top-items?by=views"),
        ("TopItems: n above 1000", "n",
         lambda: stub.TopItems(analytics_pb2.TopItemsRequest(n=5000)),
         "/api/v1/analytics/top-items?n=5000"),
        ("Coverage: a bad from", "from",
         lambda: stub.Coverage(analytics_pb2.CoverageRequest(
             range=analytics_pb2.AnalyticsRange(**{"from": "01/11/2026"}))),
         "/api/v1/analytics/coverage?from=01/11/2026"),
    ]
    for name, field, call, rest_path in cases:
        try:
            call()
            check(False, f"{name}: accepted")
        except grpc.RpcError as e:
            got = field_of(e)
            check(e.code() == grpc.StatusCode.INVALID_ARGUMENT,
                  f"{name}: {e.code()} ({e.details()})")
            check(field in e.details() and got == field,
                  f"{name}: message {e.details()!r} / BadRequest field {got!r} do not name {field}")
        status, body, _ = server.rest("GET", rest_path)
        check(status == 400 and body["error"]["field"] == field,
              f"{name} over REST: {status} {body}")

    reflect = channel.stream_stream(
        "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
        request_serializer=None, response_deserializer=None)
    responses = list(reflect(iter([b"\x3a\x00"])))
    check(responses and re.search(rb"reco\.v1\.AnalyticsService", responses[0]) is not None,
          "reflection does not list reco.v1.AnalyticsService")
    print(f"analytics: {pairs} REST/gRPC pairs compared, {len(cases)} bad-input twins")
    check(pairs >= 14, f"only {pairs} analytics parity pairs ran")
