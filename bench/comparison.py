"""The comparison table of bench/serve_bench.py: every binary and nginx, one load after the other.

Ratios to nginx use the mean of the nginx loads measured before the first and after the last
binary (the same wrk load on a static file of the size of a /api/recommend answer); ratios to
the baseline divide by the baseline binary's figure.
"""

SCENARIOS = [
    ("recommend", "GET /api/recommend (item-CF, real time)"),
    ("similar", "GET /similar"),
    ("lists", "GET /api/recommend (per-user lists)"),
]

# (figure, comparison, target): req/s of a scenario divided by nginx's.
NGINX_RATIO_TARGETS = {"recommend": 0.4, "similar": 0.8, "lists": 0.7}
P99_TARGET_MS = 10.0


def _mean(values):
    values = [v for v in values if v is not None]
    return sum(values) / len(values) if values else None


def compare(results, baseline):
    nginx = results.get("nginx", [])
    ref = {
        "req_per_s": _mean([r["requests_per_s"] for r in nginx]),
        "p99_ms": _mean([r["latency_p99_ms"] for r in nginx]),
        "cpu_us_per_req": _mean([r["server_cpu_us_per_req"] for r in nginx]),
        "runs_req_per_s": [round(r["requests_per_s"]) for r in nginx],
    }
    base = results["runs"].get(baseline, {}).get("figures", {})
    out = {"nginx": ref, "baseline": baseline, "binaries": {}}
    for label, run in results["runs"].items():
        f = run["figures"]
        row = {}
        for s, _ in SCENARIOS:
            rps, cpu = f.get(f"{s}_req_per_s"), f.get(f"{s}_server_cpu_us_per_req")
            row[s] = {
                "req_per_s": rps,
                "p99_ms": f.get(f"{s}_p99_ms"),
                "cpu_us_per_req": cpu,
                "x_nginx": _ratio(rps, ref["req_per_s"]),
                "x_baseline_req_per_s": _ratio(rps, base.get(f"{s}_req_per_s")),
                "x_baseline_cpu": _ratio(cpu, base.get(f"{s}_server_cpu_us_per_req")),
            }
        row["verdict"] = _verdict(row)
        out["binaries"][label] = row
    return out


def _ratio(a, b):
    return round(a / b, 3) if a is not None and b else None


def _verdict(row):
    v = {}
    for s, target in NGINX_RATIO_TARGETS.items():
        x = row[s]["x_nginx"]
        v[f"{s}_x_nginx>={target}"] = None if x is None else x >= target
        p99 = row[s]["p99_ms"]
        v[f"{s}_p99<={P99_TARGET_MS}ms"] = None if p99 is None else p99 <= P99_TARGET_MS
    x = row["recommend"]["x_baseline_cpu"]
    v["recommend_cpu<=baseline"] = None if x is None else x <= 1.0
    return v


def _cell(value, digits=0):
    if value is None:
        return "n/a"
    return f"{value:,.{digits}f}"


def _mark(ok):
    return "" if ok is None else (" pass" if ok else " **miss**")


def markdown(comp):
    labels = list(comp["binaries"])
    ref = comp["nginx"]
    lines = ["| scenario | figure | nginx static | " + " | ".join(labels) + " |",
             "|---|---|---|" + "---|" * len(labels)]
    for s, title in SCENARIOS:
        rows = [("req/s", "req_per_s", 0, ref["req_per_s"]),
                ("p99 ms", "p99_ms", 2, ref["p99_ms"]),
                ("server CPU µs/req", "cpu_us_per_req", 1, ref["cpu_us_per_req"]),
                ("× nginx req/s", "x_nginx", 2, 1.0),
                (f"× {comp['baseline']} req/s", "x_baseline_req_per_s", 2, None),
                (f"× {comp['baseline']} CPU/req", "x_baseline_cpu", 2, None)]
        for name, key, digits, nginx_value in rows:
            cells = []
            for label in labels:
                cell = _cell(comp["binaries"][label][s][key], digits)
                if key == "x_nginx" and s in NGINX_RATIO_TARGETS:
                    cell += _mark(comp["binaries"][label]["verdict"].get(
                        f"{s}_x_nginx>={NGINX_RATIO_TARGETS[s]}"))
                if key == "p99_ms":
                    cell += _mark(comp["binaries"][label]["verdict"].get(
                        f"{s}_p99<={P99_TARGET_MS}ms"))
                if key == "x_baseline_cpu" and s == "recommend":
                    cell += _mark(comp["binaries"][label]["verdict"].get(
                        "recommend_cpu<=baseline"))
                cells.append(cell)
            lines.append(f"| {title} | {name} | {_cell(nginx_value, digits)} | "
                         + " | ".join(cells) + " |")
    lines.append("")
    lines.append("nginx req/s of each reference load: "
                 + ", ".join(f"{v:,}" for v in ref["runs_req_per_s"])
                 + f"; targets: × nginx ≥ {NGINX_RATIO_TARGETS['recommend']} (recommend), "
                 f"≥ {NGINX_RATIO_TARGETS['similar']} (similar), "
                 f"≥ {NGINX_RATIO_TARGETS['lists']} (lists); p99 ≤ {P99_TARGET_MS:g} ms; "
                 f"recommend CPU/req ≤ {comp['baseline']}'s.")
    return "\n".join(lines)
