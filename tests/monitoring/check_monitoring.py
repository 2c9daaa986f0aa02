#!/usr/bin/env python3
"""Checks of deploy/monitoring with the real tools and the real binary (ctest monitoring_*).

  check_monitoring.py tools DEPLOY_DIR
      promtool check config, promtool check rules, promtool test rules and amtool check-config on
      the files of DEPLOY_DIR; fails when a tool is missing (scripts/install-deps.sh installs them)
      or reports any error.
  check_monitoring.py metric-names DEPLOY_DIR RECO_BINARY METRICS_DOC
      starts a real `reco serve` and `reco worker --metrics-port 0` on a small trained data dir,
      scrapes their /metrics, and fails when alert_rules.yml names a metric neither exports
      (histogram _bucket/_sum/_count map to their base name), when docs/metrics.md omits one they
      export, or when the values the model-age and data-quality alerts read are wrong.
  check_monitoring.py prometheus DEPLOY_DIR RECO_BINARY
      runs a real Prometheus with prometheus.yml and alert_rules.yml (targets pointed at a real
      `reco serve` and `reco worker`, the gateway's at a closed port, 1 s intervals) and fails
      unless both reco targets are up, every rule evaluates without error, and RecoTargetDown
      goes pending for the missing gateway and for nothing else.
"""
import json
import socket
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

import yaml

# Names that come from Prometheus itself or from node-exporter, not from reco.
EXTERNAL_METRICS = {
    "up",
    "node_filesystem_avail_bytes",
    "node_filesystem_size_bytes",
    "node_filesystem_readonly",
}
PROMQL_WORDS = {
    "by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless",
    "bool", "offset", "inf", "nan",
}


def run_tool(args, cwd):
    if shutil.which(args[0]) is None:
        sys.exit(f"FAIL: {args[0]} not found on PATH; run scripts/install-deps.sh")
    proc = subprocess.run(args, cwd=cwd, capture_output=True, text=True)
    print(f"$ {' '.join(args)}\n{proc.stdout}{proc.stderr}")
    if proc.returncode != 0:
        sys.exit(f"FAIL: {' '.join(args)} exited {proc.returncode}")


def check_tools(deploy):
    run_tool(["promtool", "check", "config", "prometheus.yml"], deploy)
    run_tool(["promtool", "check", "rules", "alert_rules.yml"], deploy)
    run_tool(["promtool", "test", "rules", "alert_rules_test.yml"], deploy)
    run_tool(["amtool", "check-config", "alertmanager.yml"], deploy)
    print("4 passed, 0 failed")


def rule_exprs(deploy):
    with open(os.path.join(deploy, "alert_rules.yml")) as f:
        doc = yaml.safe_load(f)
    exprs = {}
    for group in doc["groups"]:
        for rule in group["rules"]:
            exprs[rule.get("alert") or rule.get("record")] = rule["expr"]
    return exprs


def dashboard_exprs(deploy):
    """{"FILE: panel title/refId": expr} of every Grafana dashboard in deploy/grafana."""
    exprs = {}
    folder = os.path.join(deploy, "grafana")
    for name in sorted(os.listdir(folder)) if os.path.isdir(folder) else []:
        if not name.endswith(".json"):
            continue
        with open(os.path.join(folder, name)) as f:
            dashboard = json.load(f)
        panels = list(dashboard.get("panels", []))
        while panels:
            panel = panels.pop()
            panels.extend(panel.get("panels", []))  # rows hold panels of their own
            for target in panel.get("targets", []):
                if target.get("expr"):
                    exprs[f"{name}: {panel.get('title')}/{target.get('refId')}"] = target["expr"]
    return exprs


def metric_names(expr):
    """The metric names an expression selects: identifiers that are not functions, keywords,
    label names (inside {} or the lists of by/on/...), strings, durations or numbers."""
    s = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # strings
    s = re.sub(r"\{[^}]*\}", "", s)  # label matchers
    s = re.sub(r"\[[^\]]*\]", "", s)  # range and subquery durations
    s = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", s)
    names = set()
    for m in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", s):
        word = m.group(0)
        rest = s[m.end():].lstrip()
        if word.lower() in PROMQL_WORDS or rest.startswith("("):
            continue
        if m.start() > 0 and (s[m.start() - 1].isdigit() or s[m.start() - 1] == "."):
            continue  # the exponent or unit of a number such as 1e3
        names.add(word)
    return names


def free_data_dir():
    return tempfile.mkdtemp(prefix="reco_monitoring_")


def start(args, pattern, log_path):
    log = open(log_path, "w")
    proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
    return proc, wait_for_port(proc, pattern, log_path)


def wait_for_port(proc, pattern, log_path):
    """The port `proc` reports in its log (the first group of `pattern`)."""
    args = proc.args
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"FAIL: {' '.join(args)} exited {proc.returncode}:\n{open(log_path).read()}")
        m = re.search(pattern, open(log_path).read())
        if m:
            return int(m.group(1))
        time.sleep(0.1)
    proc.kill()
    sys.exit(f"FAIL: {' '.join(args)} did not report its port:\n{open(log_path).read()}")


def scrape(port):
    """({family: type}, {series text: value}) of one /metrics answer."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=30) as resp:
        text = resp.read().decode()
    families, samples = {}, {}
    for line in text.splitlines():
        m = re.match(r"# TYPE (\S+) (\S+)", line)
        if m:
            families[m.group(1)] = m.group(2)
        elif line and not line.startswith("#"):
            series, _, value = line.rpartition(" ")
            samples[series] = float(value)
    return families, samples


def prepare_data(binary, data):
    """A small trained data dir: demo data imported, models trained and registered."""
    demo = os.path.join(data, "demo")
    for args in (["demo-data", "--out", demo, "--users", "60", "--items", "80"],
                 ["import", "--data-dir", data, demo],
                 ["train", "--data-dir", data]):
        proc = subprocess.run([binary] + args, capture_output=True, text=True)
        if proc.returncode != 0:
            sys.exit(f"FAIL: reco {' '.join(args)} exited {proc.returncode}:\n{proc.stderr}")


def selectable_names(families):
    names = set()
    for name, kind in families.items():
        names.add(name)
        if kind == "histogram":
            names.update({name + "_bucket", name + "_sum", name + "_count"})
    return names


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get_json(url):
    with urllib.request.urlopen(url, timeout=10) as resp:
        return json.load(resp)["data"]


def stop_all(procs):
    for proc in procs:
        proc.send_signal(signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def start_roles(binary, data, procs):
    """Starts reco serve and reco worker on `data`; returns their ports."""
    serve, serve_port = start(
        [binary, "serve", "--data-dir", data, "--http-port", "0"],
        r"listening on http://[0-9.]+:(\d+)", os.path.join(data, "serve.log"))
    procs.append(serve)
    worker, worker_port = start(
        [binary, "worker", "--data-dir", data, "--metrics-port", "0"],
        r"metrics_listening url=http://[0-9.]+:(\d+)", os.path.join(data, "worker.log"))
    procs.append(worker)
    return serve_port, worker_port


def local_prometheus_config(deploy, work, ports):
    """prometheus.yml with its reco targets at `ports` ({job: port}), other jobs and the
    Alertmanager left out, 1 s intervals; written to `work` beside a copy of the rules."""
    with open(os.path.join(deploy, "prometheus.yml")) as f:
        config = yaml.safe_load(f)
    config["global"]["scrape_interval"] = "1s"
    config["global"]["evaluation_interval"] = "1s"
    config.pop("alerting", None)
    jobs = []
    for job in config["scrape_configs"]:
        if job["job_name"] in ports:
            job["static_configs"] = [{"targets": [f"127.0.0.1:{ports[job['job_name']]}"]}]
            jobs.append(job)
    config["scrape_configs"] = jobs
    shutil.copy(os.path.join(deploy, "alert_rules.yml"), work)
    path = os.path.join(work, "prometheus.yml")
    with open(path, "w") as f:
        yaml.safe_dump(config, f)
    return path


def has_leader(base):
    """Whether Prometheus has seen a process holding the scheduler lease."""
    url = base + "/query?" + urllib.parse.urlencode({"query": "max(scheduler_is_leader)"})
    result = get_json(url)["result"]
    return bool(result) and result[0]["value"][1] == "1"


def check_prometheus(deploy, binary):
    if shutil.which("prometheus") is None:
        sys.exit("FAIL: prometheus not found on PATH; run scripts/install-deps.sh")
    data = free_data_dir()
    procs = []
    failures = []
    try:
        prepare_data(binary, data)
        serve_port, worker_port = start_roles(binary, data, procs)
        gateway_port = free_port()  # nothing listens there
        config = local_prometheus_config(
            deploy, data,
            {"reco-serve": serve_port, "reco-worker": worker_port, "reco-gateway": gateway_port})
        port = free_port()
        log_path = os.path.join(data, "prometheus.log")
        procs.append(subprocess.Popen(
            ["prometheus", f"--config.file={config}", f"--storage.tsdb.path={data}/tsdb",
             f"--web.listen-address=127.0.0.1:{port}"],
            stdout=open(log_path, "w"), stderr=subprocess.STDOUT))
        base = f"http://127.0.0.1:{port}/api/v1"
        deadline = time.monotonic() + 90
        state = None
        while time.monotonic() < deadline:
            time.sleep(1)
            try:
                targets = {t["labels"]["job"]: t["health"]
                           for t in get_json(base + "/targets")["activeTargets"]}
                rules = [r for g in get_json(base + "/rules")["groups"] for r in g["rules"]]
                alerts = get_json(base + "/alerts")["alerts"]
            except OSError:
                continue  # not listening yet
            evaluated = rules and all(r.get("lastEvaluation", "").startswith("20") for r in rules)
            state = (targets, rules, alerts)
            if (targets.get("reco-serve") == "up" and targets.get("reco-worker") == "up"
                    and targets.get("reco-gateway") == "down" and evaluated and alerts
                    and has_leader(base)):
                # A start-up moment (no lease taken yet) may have left a pending alert that the
                # next evaluations drop: judge the state two evaluation intervals later.
                time.sleep(2.5)
                alerts = get_json(base + "/alerts")["alerts"]
                state = (targets, rules, alerts)
                break
        if state is None:
            sys.exit(f"FAIL: prometheus did not answer:\n{open(log_path).read()[-3000:]}")
        targets, rules, alerts = state
        print("targets:", targets)
        for job, health in (("reco-serve", "up"), ("reco-worker", "up"), ("reco-gateway", "down")):
            if targets.get(job) != health:
                failures.append(f"target {job} is {targets.get(job)}, expected {health}")
        expected_rules = len(rule_exprs(deploy))
        if len(rules) != expected_rules:
            failures.append(f"prometheus loaded {len(rules)} rules, alert_rules.yml has "
                            f"{expected_rules}")
        for rule in rules:
            print(f"  {rule['name']}: health={rule['health']} state={rule.get('state')}")
            if rule["health"] != "ok":
                failures.append(f"{rule['name']}: {rule['health']} {rule.get('lastError', '')}")
        active = sorted((a["labels"]["alertname"], a["labels"].get("job", "")) for a in alerts)
        print("alerts:", active)
        if active != [("RecoTargetDown", "reco-gateway")]:
            failures.append(f"alerts {active}, expected only RecoTargetDown for reco-gateway")
        # Every dashboard query is valid PromQL that this Prometheus evaluates.
        for panel, expr in sorted(dashboard_exprs(deploy).items()):
            url = base + "/query?" + urllib.parse.urlencode({"query": expr})
            try:
                get_json(url)
            except OSError as e:
                failures.append(f"{panel}: prometheus refused {expr!r}: {e}")
    finally:
        stop_all(procs)
        shutil.rmtree(data, ignore_errors=True)
    for failure in failures:
        print("FAIL:", failure)
    print(f"{0 if failures else 1} passed, {1 if failures else 0} failed")
    sys.exit(1 if failures else 0)


def scrape_roles(binary):
    """{role: ({family: type}, {series: value})} of a real reco serve and reco worker on one
    trained data dir."""
    data = free_data_dir()
    procs = []
    try:
        prepare_data(binary, data)
        serve_port, worker_port = start_roles(binary, data, procs)
        # A gateway with one robot at a closed port: its metric families exist from start-up.
        env = dict(os.environ, WEIXIN_WEBHOOK_URL="http://127.0.0.1:9/cgi-bin/webhook/send?key=k")
        gateway = subprocess.Popen([binary, "gateway", "--http-port", "0"], env=env,
                                   stdout=open(os.path.join(data, "gateway.log"), "w"),
                                   stderr=subprocess.STDOUT)
        procs.append(gateway)
        gateway_port = wait_for_port(gateway, r"reco gateway listening on http://[0-9.]+:(\d+)",
                                     os.path.join(data, "gateway.log"))
        return {"reco serve": scrape(serve_port), "reco worker": scrape(worker_port),
                "reco gateway": scrape(gateway_port)}
    finally:
        stop_all(procs)
        shutil.rmtree(data, ignore_errors=True)


def check_values(serve, worker):
    """What the alerts read, on a server that loaded a freshly trained model."""
    failures = []
    created = serve.get("model_created_timestamp_seconds", 0)
    loaded = serve.get("model_loaded_timestamp_seconds", 0)
    if not 0 < created <= loaded or loaded - created > 3600:
        failures.append(f"model_created_timestamp_seconds {created} is not the training time "
                        f"(loaded at {loaded})")
    if serve.get("data_quality_gate_score") != 0.7:
        failures.append(f"data_quality_gate_score {serve.get('data_quality_gate_score')} "
                        "is not the default pipeline.min_data_quality 0.7")
    for role, samples in (("reco serve", serve), ("reco worker", worker)):
        for series in ('scheduler_job_runs_total{job_name="train",result="failed"}',
                       'scheduler_job_consecutive_failures{job_name="train"}',
                       'pipeline_runs_total{result="failed"}',
                       'canary_rollbacks_total{reason="ctr"}' if role == "reco serve" else None):
            if series is not None and samples.get(series) != 0:
                failures.append(f"{role}: {series} is {samples.get(series)}, not 0")
    leaders = serve.get("scheduler_is_leader", 0) + worker.get("scheduler_is_leader", 0)
    if leaders > 1:
        failures.append(f"{leaders} schedulers claim the lease")
    return failures


def check_metric_names(deploy, binary, doc_path):
    scraped = scrape_roles(binary)
    roles = {role: families for role, (families, _) in scraped.items()}
    failures = check_values(scraped["reco serve"][1], scraped["reco worker"][1])
    exported = set()
    for role, families in roles.items():
        if not families:
            failures.append(f"{role} exported no metric family")
        exported |= selectable_names(families)
    exprs = rule_exprs(deploy)
    panels = dashboard_exprs(deploy)
    checked = 0
    for what, queries in (("alert_rules.yml rules", exprs), ("Grafana dashboard queries", panels)):
        if len(queries) < 10:
            failures.append(f"only {len(queries)} {what}")
        for where, expr in sorted(queries.items()):
            names = metric_names(expr)
            if not names:
                failures.append(f"{where}: no metric name found in {expr!r}")
            for name in sorted(names):
                checked += 1
                if name not in exported and name not in EXTERNAL_METRICS:
                    failures.append(f"{where}: {name} is exported by no role")
    with open(doc_path) as f:
        doc = f.read()
    for role, families in roles.items():
        for name in sorted(families):
            if f"`{name}`" not in doc:
                failures.append(f"{role} exports {name}, which docs/metrics.md does not list")
    for failure in failures:
        print("FAIL:", failure)
    print(f"{checked} metric references in {len(exprs)} rules and {len(panels)} dashboard queries "
          "checked against "
          f"{len(exported)} exported names")
    print(f"{0 if failures else 1} passed, {1 if failures else 0} failed")
    sys.exit(1 if failures else 0)


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "tools":
        check_tools(sys.argv[2])
    elif len(sys.argv) >= 4 and sys.argv[1] == "prometheus":
        check_prometheus(sys.argv[2], sys.argv[3])
    elif len(sys.argv) >= 5 and sys.argv[1] == "metric-names":
        check_metric_names(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
