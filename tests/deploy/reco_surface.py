"""What the real `reco` binary accepts, for the checks of deploy/compose and deploy/k8s.

- flags: parsed from `reco SUBCOMMAND --help`;
- environment variables: the key table of src/core/config.cc (every key as RECO_<SECTION>_<KEY>,
  plus the names pushed onto a key's env_names there) and every literal std::getenv("NAME") in
  the non-test sources (the gateway's WEIXIN_*);
- running roles: `reco serve`, `reco worker --metrics-port`, `reco gateway` started on free
  loopback ports with a given environment, their port read from their log.
"""
import glob
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

KEY_RE = re.compile(r'\b(?:String|Int|Double|Bool|StringList)Key\("([a-z_]+)\.([a-z_]+)"')
ALIAS_RE = re.compile(r'env_names\.push_back\("([A-Z0-9_]+)"\)')
GETENV_RE = re.compile(r'getenv\("([A-Z0-9_]+)"\)')

LISTEN_PATTERNS = {
    "serve": r"listening on http://[0-9.]+:(\d+)",
    "worker": r"metrics_listening url=http://[0-9.]+:(\d+)",
    "gateway": r"gateway listening on http://[0-9.]+:(\d+)",
}


def fail(msg):
    sys.exit(f"FAIL: {msg}")


def env_names(src_dir):
    """Every environment variable the binary reads (see the module comment)."""
    config_cc = open(os.path.join(src_dir, "core/config.cc")).read()
    keys = KEY_RE.findall(config_cc)
    if len(keys) < 10:
        fail(f"found only {len(keys)} keys in src/core/config.cc; has its key table changed?")
    names = {f"RECO_{section.upper()}_{key.upper()}" for section, key in keys}
    names.update(ALIAS_RE.findall(config_cc))
    for path in glob.glob(os.path.join(src_dir, "**/*.cc"), recursive=True):
        if path.endswith(("_test.cc", "_benchmark.cc")):
            continue
        names.update(GETENV_RE.findall(open(path).read()))
    return names


def help_flags(binary, subcommand):
    proc = subprocess.run([binary, subcommand, "--help"], capture_output=True, text=True)
    if proc.returncode != 0:
        fail(f"reco {subcommand} --help exited {proc.returncode}: {proc.stderr}")
    flags = set(re.findall(r"(--[a-z][a-z0-9-]*)", proc.stdout))
    if "--help" not in flags:
        fail(f"reco {subcommand} --help lists no flags:\n{proc.stdout}")
    return flags


def check_argv(binary, argv, where, flags_cache):
    """argv is ["reco", SUBCOMMAND, ...]: every --flag must exist in that subcommand's --help."""
    if len(argv) < 2 or os.path.basename(argv[0]) != "reco":
        fail(f"{where}: command {argv} does not run reco SUBCOMMAND")
    sub = argv[1]
    if sub not in flags_cache:
        flags_cache[sub] = help_flags(binary, sub)
    used = [a.split("=")[0] for a in argv[2:] if a.startswith("--")]
    for flag in used:
        if flag not in flags_cache[sub]:
            fail(f"{where}: reco {sub} has no flag {flag}")
    return sub, used


def flag_value(argv, flag):
    for i, a in enumerate(argv):
        if a == flag and i + 1 < len(argv):
            return argv[i + 1]
        if a.startswith(flag + "="):
            return a.split("=", 1)[1]
    return None


def local_argv(binary, argv, data_dir):
    """argv made runnable here: the real binary, loopback, free ports, a temporary data dir."""
    out = [binary]
    i = 1
    while i < len(argv):
        a = argv[i]
        if a in ("--host", "--metrics-host"):
            out += [a, "127.0.0.1"]
            i += 2
        elif a in ("--http-port", "--metrics-port", "--grpc-port"):
            out += [a, "0"]
            i += 2
        elif a == "--data-dir":
            out += [a, data_dir]
            i += 2
        elif a == "--config":
            i += 2  # the caller passes its own copy
        else:
            out.append(a)
            i += 1
    return out


class Role:
    """One reco process started with `argv` and `env`; stop() sends SIGTERM."""

    def __init__(self, argv, env, log_path):
        self.argv = argv
        self.log_path = log_path
        self.log = open(log_path, "w")
        full_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        full_env.update(env)
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT,
                                     env=full_env)
        self.port = self._wait_for_port(LISTEN_PATTERNS[argv[1]])

    def _wait_for_port(self, pattern):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            text = open(self.log_path).read()
            if self.proc.poll() is not None:
                fail(f"{' '.join(self.argv)} exited {self.proc.returncode}:\n{text}")
            m = re.search(pattern, text)
            if m:
                return int(m.group(1))
            time.sleep(0.1)
        self.proc.kill()
        fail(f"{' '.join(self.argv)} did not report its port:\n{open(self.log_path).read()}")

    def status(self, path):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=10) as r:
                return r.status
        except urllib.error.HTTPError as e:
            return e.code

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
