"""Helpers shared by the bench scripts: a demo data directory and a `reco serve` child."""
import os
import re
import subprocess
import time


def demo_data_dir(reco, work, users=200, items=300):
    """Fills WORK/data with `reco demo-data` + `reco import`; returns the data directory."""
    src, data = os.path.join(work, "src"), os.path.join(work, "data")
    subprocess.run([reco, "demo-data", "--out", src, "--users", str(users), "--items", str(items)],
                   check=True, capture_output=True)
    subprocess.run([reco, "import", "--data-dir", data, src], check=True, capture_output=True)
    return data


def start_server(reco, data, env, shell_prefix=""):
    """Starts `reco serve` on a free port (after `shell_prefix`, e.g. "ulimit -n 1024;").

    Returns (process, port, log file). The log is DATA/serve.log.
    """
    log = open(os.path.join(data, "serve.log"), "w+")
    cmd = [reco, "serve", "--data-dir", data, "--http-port", "0"]
    if shell_prefix:
        cmd = ["bash", "-c", shell_prefix + " exec " + " ".join(cmd)]
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
    deadline = time.time() + 60
    while time.time() < deadline:
        log.seek(0)
        m = re.search(r"listening on http://[^:]+:(\d+)", log.read())
        if m:
            return proc, int(m.group(1)), log
        time.sleep(0.05)
    proc.kill()
    raise SystemExit("reco serve did not start; see " + log.name)


def status_kib(pid, field="VmRSS"):
    """A field of /proc/PID/status in KiB (VmRSS, VmHWM)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0
