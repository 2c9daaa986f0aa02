#!/usr/bin/env python3
"""An alert from a real reco serve to a WeCom robot, through every real program on the way.

reco serve (a trained demo data dir) -> Prometheus 2.42 (scraping it, evaluating the real
RecoModelStale rule of deploy/monitoring/alert_rules.yml with its 26 h threshold cut to 20 s and
no `for`) -> Alertmanager 0.25 (deploy/monitoring/alertmanager.yml, with the webhook URLs pointed
at the gateway and the waits cut to 1 s) -> reco gateway (WEIXIN_WEBHOOK_URL) -> a local receiver
that answers as WeCom's robot API does ({"errcode":0,"errmsg":"ok"}; WeCom itself is on the
internet).

It waits for the firing message naming the alert, then retrains and reloads the server so that
the model is young again, and waits for the resolved message. Everything runs on 127.0.0.1 on
free ports and is stopped at the end.

Usage: alert_e2e.py DEPLOY_DIR RECO_BINARY   (exit 0 when both messages arrived)
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_monitoring as cm  # noqa: E402  (the same directory)

MODEL_AGE_SECONDS = 20


class WeComReceiver:
    """Records the message bodies POSTed to /cgi-bin/webhook/send and answers errcode 0."""

    def __init__(self):
        self.messages = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    receiver.messages.append((self.path, json.loads(body)))
                answer = b'{"errcode":0,"errmsg":"ok"}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, needles, seconds):
        """The first markdown content holding every needle, or None after `seconds`."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            with self.lock:
                for _, message in self.messages:
                    content = message.get("markdown", {}).get("content", "")
                    if all(n in content for n in needles):
                        return content
            time.sleep(0.5)
        return None


def stale_rule_file(deploy, work):
    """alert_rules.yml's RecoModelStale alone, its threshold cut to MODEL_AGE_SECONDS."""
    with open(os.path.join(deploy, "alert_rules.yml")) as f:
        rules = yaml.safe_load(f)
    stale = [r for g in rules["groups"] for r in g["rules"] if r.get("alert") == "RecoModelStale"]
    if len(stale) != 1 or "26 * 3600" not in stale[0]["expr"]:
        sys.exit("FAIL: alert_rules.yml has no RecoModelStale rule with a 26 * 3600 threshold")
    rule = dict(stale[0])
    rule["expr"] = rule["expr"].replace("26 * 3600", str(MODEL_AGE_SECONDS))
    rule.pop("for", None)
    path = os.path.join(work, "rules.yml")
    with open(path, "w") as f:
        yaml.safe_dump({"groups": [{"name": "reco-e2e", "rules": [rule]}]}, f)
    return path


def alertmanager_config(deploy, work, gateway_port):
    """alertmanager.yml with its webhooks at the gateway and 1 s waits."""
    with open(os.path.join(deploy, "alertmanager.yml")) as f:
        config = yaml.safe_load(f)
    url = f"http://127.0.0.1:{gateway_port}/alertmanager"
    for receiver in config["receivers"]:
        for hook in receiver.get("webhook_configs", []):
            hook["url"] = url
    routes = [config["route"]] + config["route"].get("routes", [])
    for route in routes:
        route["group_wait"] = "1s"
        route["group_interval"] = "1s"
    path = os.path.join(work, "alertmanager.yml")
    with open(path, "w") as f:
        yaml.safe_dump(config, f)
    return path


def prometheus_config(work, serve_port, alertmanager_port, rules):
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [rules],
        "alerting": {"alertmanagers": [
            {"static_configs": [{"targets": [f"127.0.0.1:{alertmanager_port}"]}]}]},
        "scrape_configs": [{"job_name": "reco-serve",
                            "static_configs": [{"targets": [f"127.0.0.1:{serve_port}"]}]}],
    }
    path = os.path.join(work, "prometheus.yml")
    with open(path, "w") as f:
        yaml.safe_dump(config, f)
    return path


def spawn(args, log_path, env=None):
    return subprocess.Popen(args, stdout=open(log_path, "w"), stderr=subprocess.STDOUT, env=env)


def wait_http(url, proc, log_path, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"FAIL: {proc.args[0]} exited {proc.returncode}:\n{open(log_path).read()}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    sys.exit(f"FAIL: {url} did not answer:\n{open(log_path).read()}")


def start_pipeline_of_alerts(deploy, binary, work, receiver, procs):
    """serve, gateway, Alertmanager and Prometheus; returns serve's port."""
    serve, serve_port = cm.start([binary, "serve", "--data-dir", os.path.join(work, "data"),
                                  "--http-port", "0"],
                                 r"listening on http://[0-9.]+:(\d+)",
                                 os.path.join(work, "serve.log"))
    procs.append(serve)
    env = dict(os.environ, WEIXIN_WEBHOOK_URL=(
        f"http://127.0.0.1:{receiver.port}/cgi-bin/webhook/send?key=e2e-robot-key"))
    gateway = spawn([binary, "gateway", "--http-port", "0"], os.path.join(work, "gateway.log"),
                    env)
    procs.append(gateway)
    gateway_port = cm.wait_for_port(gateway, r"reco gateway listening on http://[0-9.]+:(\d+)",
                                    os.path.join(work, "gateway.log"))
    am_port = cm.free_port()
    alertmanager = spawn(
        ["prometheus-alertmanager",
         "--config.file=" + alertmanager_config(deploy, work, gateway_port),
         "--storage.path=" + os.path.join(work, "am"),
         f"--web.listen-address=127.0.0.1:{am_port}", "--cluster.listen-address="],
        os.path.join(work, "alertmanager.log"))
    procs.append(alertmanager)
    wait_http(f"http://127.0.0.1:{am_port}/-/ready", alertmanager,
              os.path.join(work, "alertmanager.log"))
    prom_port = cm.free_port()
    prometheus = spawn(
        ["prometheus",
         "--config.file=" + prometheus_config(work, serve_port, am_port,
                                              stale_rule_file(deploy, work)),
         "--storage.tsdb.path=" + os.path.join(work, "tsdb"),
         f"--web.listen-address=127.0.0.1:{prom_port}"],
        os.path.join(work, "prometheus.log"))
    procs.append(prometheus)
    wait_http(f"http://127.0.0.1:{prom_port}/-/ready", prometheus,
              os.path.join(work, "prometheus.log"))
    return serve_port


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    deploy, binary = sys.argv[1], sys.argv[2]
    for tool in ("prometheus", "prometheus-alertmanager"):
        if shutil.which(tool) is None:
            sys.exit(f"FAIL: {tool} not found (scripts/install-deps.sh installs it)")
    work = tempfile.mkdtemp(prefix="reco_alert_e2e_")
    procs = []
    receiver = WeComReceiver()
    try:
        data = os.path.join(work, "data")
        os.makedirs(data)
        cm.prepare_data(binary, data)
        serve_port = start_pipeline_of_alerts(deploy, binary, work, receiver, procs)
        firing = receiver.wait_for(["RecoModelStale", 'color="warning"'], 120)
        if firing is None:
            sys.exit("FAIL: no firing RecoModelStale message reached the WeCom receiver; logs in "
                     + work)
        print("firing message received:\n" + firing)
        # A fresh model: the rule stops firing and the resolved message follows.
        subprocess.run([binary, "train", "--data-dir", data], check=True, capture_output=True)
        request = urllib.request.Request(f"http://127.0.0.1:{serve_port}/models/reload",
                                         data=b"{}", method="POST",
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as resp:
            if resp.status // 100 != 2:
                sys.exit(f"FAIL: reload answered {resp.status}")
        resolved = receiver.wait_for(["RecoModelStale", 'color="info"'], 120)
        if resolved is None:
            sys.exit("FAIL: no resolved RecoModelStale message reached the WeCom receiver; logs "
                     "in " + work)
        print("resolved message received:\n" + resolved)
        paths = {path for path, _ in receiver.messages}
        if paths != {"/cgi-bin/webhook/send?key=e2e-robot-key"}:
            sys.exit(f"FAIL: messages were posted to {paths}")
        print("1 passed, 0 failed")
    finally:
        cm.stop_all(procs)
        receiver.server.shutdown()
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
