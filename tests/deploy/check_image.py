#!/usr/bin/env python3
"""The container image built from deploy/docker/Dockerfile (ctest image_build, label packaging).

  check_image.py SOURCE_DIR RECO_BINARY VERSION

Runs its own Docker daemon (Debian's docker.io: /usr/sbin/dockerd --iptables=false
--bridge=none, with its data root, exec root and socket under the cache directory
${RECO_CACHE_DIR:-/var/cache/reco-ci}/docker so that it never meets a system daemon), then:
  - builds the base image reco-base:bookworm with deploy/docker/build-base-image.sh; its root
    filesystem tarball is kept in the cache directory, so only the first run pays for debootstrap;
  - builds reco:VERSION with the real Dockerfile (BuildKit, --network host). By default the
    runtime stage takes the already built RECO_BINARY (--build-arg RECO_BINARY_FROM=prebuilt,
    a build context holding only deploy/docker/{reco,healthcheck.sh}); RECO_IMAGE_FULL_BUILD=1
    builds the whole multi-stage file instead (compiles reco in the build stage: many minutes);
  - checks the image: Config.User 50000:50000, no ENTRYPOINT, a HEALTHCHECK, /var/lib/reco
    owned by 50000, `reco` on PATH with every library found (ldd), bash present, no gcc/cc/g++,
    no -dev package installed; `reco worker --help`, `reco gateway --help`, `reco pipeline --help`
    run in it;
  - runs `reco serve --data-dir /var/lib/reco --init --http-port PORT`, `reco worker
    --metrics-port PORT` and `reco gateway --http-port PORT` with host networking, requires 200
    from /api/health/ready, /metrics and /health, `id -u` 50000 inside each, and the HEALTHCHECK
    (which asks the route of the role) to report healthy for each;
  - prints the image size.
Exits 77 (ctest SKIP) only when dockerd or the docker client is missing or dockerd cannot start
here, with the reason.
"""
import fcntl
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

DOCKER = "/usr/bin/docker"
DOCKERD = "/usr/sbin/dockerd"
BASE_TAG = "reco-base:bookworm"
UID = "50000"


def fail(msg):
    sys.exit(f"FAIL: {msg}")


def skip(msg):
    print(f"SKIP: {msg}")
    sys.exit(77)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Daemon:
    """A dockerd of our own under CACHE/docker (data root kept between runs)."""

    def __init__(self, cache):
        self.root = os.path.join(cache, "docker")
        self.sock = os.path.join(self.root, "docker.sock")
        self.env = dict(os.environ, DOCKER_HOST=f"unix://{self.sock}", DOCKER_BUILDKIT="1")
        self.proc = None

    def start(self):
        for d in ("data", "exec"):
            os.makedirs(os.path.join(self.root, d), exist_ok=True)
        # One test at a time per cache directory (another checkout may run it too).
        self.lock = open(os.path.join(self.root, "lock"), "w")
        fcntl.flock(self.lock, fcntl.LOCK_EX)
        self.stop_stale()
        log = open(os.path.join(self.root, "dockerd.log"), "w")
        self.proc = subprocess.Popen(
            [DOCKERD, "--iptables=false", "--bridge=none", "--ip-forward=false",
             "--data-root", os.path.join(self.root, "data"),
             "--exec-root", os.path.join(self.root, "exec"),
             "--pidfile", os.path.join(self.root, "dockerd.pid"),
             "-H", f"unix://{self.sock}"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                tail = open(log.name).read()[-2000:]
                skip(f"dockerd exited {self.proc.returncode} on this machine:\n{tail}")
            if self.docker(["version", "--format", "{{.Server.Version}}"], check=False).returncode == 0:
                return
            time.sleep(0.5)
        self.stop()
        skip("dockerd did not answer on its socket within 60 s")

    def stop_stale(self):
        """A daemon left by a run that was killed (ctest timeout) holds the pid file; with the
        lock held it can only be ours."""
        pidfile = os.path.join(self.root, "dockerd.pid")
        try:
            pid = int(open(pidfile).read().strip())
            cmdline = open(f"/proc/{pid}/cmdline").read()
            if "dockerd" not in cmdline or self.root not in cmdline:
                return
        except (OSError, ValueError):
            return
        print(f"stopping the dockerd {pid} a previous run left")
        os.kill(pid, signal.SIGTERM)
        for _ in range(60):
            if not os.path.exists(f"/proc/{pid}"):
                return
            time.sleep(0.5)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        # dockerd leaves its default network namespace mounted under the exec root.
        netns = os.path.join(self.root, "exec", "netns", "default")
        if os.path.ismount(netns):
            subprocess.run(["umount", netns], check=False)

    def docker(self, args, check=True, **kw):
        proc = subprocess.run([DOCKER] + args, capture_output=True, text=True, env=self.env, **kw)
        if check and proc.returncode != 0:
            fail(f"docker {' '.join(args)} exited {proc.returncode}:\n{proc.stdout}{proc.stderr}")
        return proc


def build_base(d, src, cache):
    if d.docker(["image", "inspect", BASE_TAG], check=False).returncode == 0:
        print(f"{BASE_TAG}: present in the cached data root")
        return
    tarball = os.path.join(cache, "reco-base-bookworm.tar")
    t0 = time.monotonic()
    proc = subprocess.run([os.path.join(src, "deploy/docker/build-base-image.sh"), "--out", tarball],
                          env=d.env, capture_output=True, text=True)
    if proc.returncode != 0:
        fail(f"build-base-image.sh exited {proc.returncode}:\n{proc.stdout}{proc.stderr}")
    print(proc.stdout.strip(), f"({time.monotonic() - t0:.0f} s)")


def build_image(d, src, binary, tag):
    dockerfile = os.path.join(src, "deploy/docker/Dockerfile")
    args = ["build", "--network", "host", "-f", dockerfile, "-t", tag,
            "--build-arg", f"BASE_IMAGE={BASE_TAG}"]
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="reco-image-ctx-") as ctx:
        if os.environ.get("RECO_IMAGE_FULL_BUILD") == "1":
            context = src
        else:
            # Only the two files the runtime stage copies; the binary stripped as the build
            # stage would (and as the Debian package does).
            context = ctx
            os.makedirs(os.path.join(ctx, "deploy/docker"))
            shutil.copy2(os.path.join(src, "deploy/docker/healthcheck.sh"),
                         os.path.join(ctx, "deploy/docker/healthcheck.sh"))
            subprocess.run(["strip", "-o", os.path.join(ctx, "deploy/docker/reco"), binary],
                           check=True)
            args += ["--build-arg", "RECO_BINARY_FROM=prebuilt"]
        proc = d.docker(args + [context], check=False)
    if proc.returncode != 0:
        fail(f"docker build exited {proc.returncode}:\n{proc.stdout}{proc.stderr[-6000:]}")
    mode = "full multi-stage" if context == src else "prebuilt binary"
    print(f"built {tag} ({mode}) in {time.monotonic() - t0:.0f} s")


def check_config(d, tag):
    info = json.loads(d.docker(["image", "inspect", tag]).stdout)[0]
    cfg = info["Config"]
    if cfg.get("User") != f"{UID}:{UID}":
        fail(f"Config.User is {cfg.get('User')!r}, want {UID}:{UID}")
    if cfg.get("Entrypoint"):
        fail(f"the image has an ENTRYPOINT {cfg['Entrypoint']}; compose and k8s give `reco …`")
    health = cfg.get("Healthcheck") or {}
    if not health.get("Test"):
        fail("the image has no HEALTHCHECK")
    if "/var/lib/reco" not in (cfg.get("Volumes") or {}):
        fail(f"/var/lib/reco is not a volume: {cfg.get('Volumes')}")
    size = info["Size"]
    print(f"{tag}: {size} bytes ({size / 1e6:.1f} MB), User {cfg['User']}, "
          f"HEALTHCHECK {health['Test']}")
    return size


def run_in(d, tag, script):
    return d.docker(["run", "--rm", "--network", "host", tag, "bash", "-c", script]).stdout


def check_contents(d, tag):
    out = run_in(d, tag, "command -v reco; stat -c '%u:%g %a' /var/lib/reco /var/lib/reco/models;"
                         " ldd /usr/bin/reco; id -u; id -g")
    lines = out.splitlines()
    if not lines or lines[0] != "/usr/bin/reco":
        fail(f"reco is not on PATH at /usr/bin/reco:\n{out}")
    if lines[1].split()[0] != f"{UID}:{UID}" or lines[2].split()[0] != f"{UID}:{UID}":
        fail(f"/var/lib/reco or its models/ not owned by {UID}:{UID}:\n{out}")
    libs = [l for l in lines[3:-2] if "=>" in l]
    if not libs:
        fail(f"ldd listed no library:\n{out}")
    missing = [l.strip() for l in libs if "not found" in l]
    if missing:
        fail(f"libraries missing in the image: {missing}")
    if lines[-2:] != [UID, UID]:
        fail(f"the default user is {lines[-2:]}, want {UID}/{UID}")
    tools = run_in(d, tag, "for t in gcc cc g++ c++ make cmake curl; do command -v $t || true; done;"
                           " dpkg-query -W -f '${Package}\\n' | grep -e '-dev$' || true")
    if tools.strip():
        fail(f"the runtime image holds build tools or -dev packages:\n{tools}")
    for sub in ("worker", "gateway", "pipeline", "serve"):
        out = d.docker(["run", "--rm", "--network", "host", tag, "reco", sub, "--help"]).stdout
        if "--" not in out:
            fail(f"`reco {sub} --help` printed no options:\n{out}")
    print("contents: reco on PATH, every library found, owner 50000, no compiler, roles answer --help")


def http_status(url):
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except OSError:
        return None


def wait_healthy(d, name, deadline):
    while True:
        state = json.loads(d.docker(["inspect", name]).stdout)[0]["State"]
        status = state.get("Health", {}).get("Status")
        if status == "healthy":
            return
        if status == "unhealthy" or not state.get("Running") or time.monotonic() > deadline:
            logs = d.docker(["logs", name], check=False)
            fail(f"{name}: HEALTHCHECK {status}, running {state.get('Running')}: "
                 f"{state.get('Health')}\n{logs.stdout}{logs.stderr}")
        time.sleep(0.5)


def check_roles(d, tag):
    """serve, worker and gateway at once (host network, free ports), each until its own probe
    answers 200 and the image's HEALTHCHECK (which picks the route by role) says healthy."""
    ports = {role: free_port() for role in ("serve", "worker", "gateway")}
    roles = {
        "serve": ([], ["serve", "--data-dir", "/var/lib/reco", "--init", "--http-port"],
                  "/api/health/ready"),
        "worker": ([], ["worker", "--data-dir", "/var/lib/reco", "--metrics-port"], "/metrics"),
        # The gateway refuses to start without a robot; nothing is sent in this test.
        "gateway": (["-e", "WEIXIN_WEBHOOK_URL=http://127.0.0.1:9/unused"],
                    ["gateway", "--http-port"], "/health"),
    }
    names = {}
    try:
        for role, (env, cmd, _) in roles.items():
            names[role] = f"reco-image-test-{role}-{os.getpid()}"
            d.docker(["run", "-d", "--name", names[role], "--network", "host"] + env +
                     [tag, "reco"] + cmd + [str(ports[role])])
        deadline = time.monotonic() + 60
        for role, (_, _, path) in roles.items():
            url = f"http://127.0.0.1:{ports[role]}{path}"
            while http_status(url) != 200:
                if time.monotonic() > deadline:
                    logs = d.docker(["logs", names[role]], check=False)
                    fail(f"{url} did not answer 200 within 60 s:\n{logs.stdout}{logs.stderr}")
                time.sleep(0.3)
            uid = d.docker(["exec", names[role], "id", "-u"]).stdout.strip()
            if uid != UID:
                fail(f"reco {role} runs as uid {uid}, want {UID}")
        for role in roles:
            wait_healthy(d, names[role], deadline)
            print(f"reco {role} in the image: {roles[role][2]} 200, uid {UID}, HEALTHCHECK healthy")
    finally:
        for name in names.values():
            d.docker(["rm", "-f", "-v", name], check=False)


def main():
    src, binary, version = sys.argv[1], os.path.abspath(sys.argv[2]), sys.argv[3]
    for tool in (DOCKER, DOCKERD):
        if not os.access(tool, os.X_OK):
            skip(f"{tool} missing: install Debian's docker.io (scripts/install-deps.sh)")
    if os.geteuid() != 0:
        skip("dockerd and debootstrap need root; this test runs as uid %d" % os.geteuid())
    cache = os.environ.get("RECO_CACHE_DIR", "/var/cache/reco-ci")
    os.makedirs(cache, exist_ok=True)
    tag = f"reco:{version}"
    d = Daemon(cache)
    t0 = time.monotonic()
    d.start()
    try:
        build_base(d, src, cache)
        build_image(d, src, binary, tag)
        size = check_config(d, tag)
        check_contents(d, tag)
        check_roles(d, tag)
        d.docker(["image", "prune", "-f"], check=False)
        d.docker(["volume", "prune", "-f"], check=False)
        # The build cache stays (warm builds), bounded.
        d.docker(["builder", "prune", "-f", "--keep-storage", "3GB"], check=False)
    finally:
        d.stop()
    print(f"image size {size / 1e6:.1f} MB; test took {time.monotonic() - t0:.0f} s")


if __name__ == "__main__":
    main()
