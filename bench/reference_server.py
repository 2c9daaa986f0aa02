"""nginx serving one static file: the reference server of bench/serve_bench.py.

nginx runs on 127.0.0.1 on a free port with a configuration, prefix and temporary directories of
its own (nothing outside them is read or written), with as many worker processes as reco has
worker threads, access log off, sendfile off, the file's descriptor cached (open_file_cache) and
keep-alive connections held for the whole load, and is stopped when the load is done. sendfile is
off because it is nginx's faster setting for a file this small: with it on, each answer costs a
writev and a sendfile call, and nginx serves about half the requests per second (48,015 against
84,983 req/s in one side-by-side run of wrk -t2 -c64 -d8s on the bench machine); the reference must
be nginx at its best. The file it serves is a JSON array of 20 item ids, the size of a
/api/recommend answer, at /static/rec.json; the query string is ignored, so
`/static/rec.json?u={id}` drives it with the same wrk script and request shape as reco.
"""

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

NGINX_MISSING = ("nginx not found: it is the reference server of this benchmark "
                 "(apt-get install nginx, or scripts/install-deps.sh); --no-nginx skips it")

PATH_TEMPLATE = "/static/rec.json?u={id}"

CONFIG = """\
worker_processes {workers};
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
daemon off;
{user}
events {{ worker_connections 4096; }}
http {{
  access_log off;
  sendfile off;
  tcp_nodelay on;
  open_file_cache max=64 inactive=60s;
  open_file_cache_valid 60s;
  keepalive_requests 10000000;
  keepalive_timeout 75s;
  default_type application/json;
  client_body_temp_path {prefix}/tmp/body;
  proxy_temp_path {prefix}/tmp/proxy;
  fastcgi_temp_path {prefix}/tmp/fastcgi;
  uwsgi_temp_path {prefix}/tmp/uwsgi;
  scgi_temp_path {prefix}/tmp/scgi;
  server {{
    listen 127.0.0.1:{port};
    root {prefix}/www;
  }}
}}
"""


def find_nginx():
    for candidate in (shutil.which("nginx"), "/usr/sbin/nginx"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children(pid):
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(x) for x in text.split()]


def _cpu_seconds(pid):
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Nginx:
    """An nginx master process (daemon off) and its workers, in a prefix under `work`."""

    def __init__(self, binary, work, workers, body, log):
        self.binary = binary
        self.prefix = Path(work) / "nginx"
        self.workers = workers
        self.body = body
        self.log = log
        self.port = None
        self.proc = None

    def start(self, attempts=3):
        for sub in ("www/static", "tmp"):
            (self.prefix / sub).mkdir(parents=True, exist_ok=True)
        (self.prefix / "www" / "static" / "rec.json").write_text(self.body)
        # Workers of a root master run as nobody: they must be able to read the web root.
        for p in (self.prefix.parent, self.prefix, self.prefix / "www",
                  self.prefix / "www" / "static"):
            p.chmod(0o755)
        (self.prefix / "www" / "static" / "rec.json").chmod(0o644)
        for _ in range(attempts):
            self.port = free_port()
            conf = self.prefix / "nginx.conf"
            conf.write_text(CONFIG.format(workers=self.workers, prefix=self.prefix, port=self.port,
                                          user="user nobody nogroup;" if os.geteuid() == 0
                                          else ""))
            cmd = [self.binary, "-p", str(self.prefix), "-e", str(self.prefix / "error.log"),
                   "-c", str(conf)]
            self.log("$ " + " ".join(cmd))
            self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            if self._wait_ready():
                return
            self.stop()
        raise RuntimeError(f"nginx did not start; see {self.prefix / 'error.log'}")

    def _wait_ready(self, timeout=10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    s.sendall(b"GET /static/rec.json HTTP/1.1\r\nHost: x\r\n"
                              b"Connection: close\r\n\r\n")
                    if s.recv(64).startswith(b"HTTP/1.1 200"):
                        return True
            except OSError:
                pass
            time.sleep(0.01)
        return False

    def cpu_seconds(self):
        """CPU seconds of the master and its workers."""
        if self.proc is None:
            return 0.0
        return sum(_cpu_seconds(p) for p in [self.proc.pid, *_children(self.proc.pid)])

    def stop(self, timeout=10.0):
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGQUIT)  # graceful shutdown
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
