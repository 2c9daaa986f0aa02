#!/usr/bin/env python3
"""The Debian package built by `cpack -G DEB` (ctest deb_package, label packaging).

  check_deb.py BUILD_DIR VERSION

Builds reco_VERSION_amd64.deb from BUILD_DIR into a temporary directory, then checks with the
real Debian tools:
  - dpkg-deb -c: /usr/bin/reco, both systemd units, /etc/reco/reco.toml;
  - dpkg-deb -I: /etc/reco/reco.toml is a conffile, the maintainer scripts parse (sh -n);
  - Depends: every library the packaged binary NEEDs (objdump -p), resolved by the dynamic
    loader (ldd) and owned by a package (dpkg -S), is in Depends (by its name or a name the
    package Provides);
  - the units: systemd-analyze verify prints nothing (it exits 0 even on an unknown key, so any
    message fails), the sandbox keys are set, and every ExecStart flag exists in the binary's
    --help of that subcommand;
  - the package unpacked into a throwaway root (dpkg-deb -x): its reco answers --help, and its
    `reco serve` with the packaged /etc/reco/reco.toml starts and answers /api/health/ready.
"""
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import urllib.request

UNITS = ("reco-serve.service", "reco-worker.service")
SANDBOX = {
    "ProtectSystem": "strict",
    "StateDirectory": "reco",
    "NoNewPrivileges": "yes",
    "PrivateTmp": "yes",
}


def fail(msg):
    sys.exit(f"FAIL: {msg}")


def run(args, **kw):
    if shutil.which(args[0]) is None:
        fail(f"{args[0]} not found on PATH; run scripts/install-deps.sh")
    proc = subprocess.run(args, capture_output=True, text=True, **kw)
    if proc.returncode != 0:
        fail(f"{' '.join(args)} exited {proc.returncode}:\n{proc.stdout}{proc.stderr}")
    return proc


def build_deb(build_dir, version, out):
    run(["cpack", "-G", "DEB", "--config", os.path.join(build_dir, "CPackConfig.cmake"),
         "-B", out])
    deb = os.path.join(out, f"reco_{version}_amd64.deb")
    if not os.path.isfile(deb):
        fail(f"{deb} was not written; {out} holds {os.listdir(out)}")
    print(f"built {deb} ({os.path.getsize(deb)} bytes)")
    return deb


def check_contents(deb):
    listing = run(["dpkg-deb", "-c", deb]).stdout
    paths = {line.split()[-1].lstrip(".") for line in listing.splitlines() if line.strip()}
    for want in ("/usr/bin/reco", "/etc/reco/reco.toml",
                 *(f"/lib/systemd/system/{u}" for u in UNITS)):
        if want not in paths:
            fail(f"{want} missing from the package:\n{listing}")
    conffiles = run(["dpkg-deb", "-I", deb, "conffiles"]).stdout.split()
    if conffiles != ["/etc/reco/reco.toml"]:
        fail(f"conffiles are {conffiles}, want ['/etc/reco/reco.toml']")
    print("contents and conffiles ok")


def depends_packages(deb):
    depends = run(["dpkg-deb", "-f", deb, "Depends"]).stdout.strip()
    if not depends:
        fail("the package has no Depends")
    names = set()
    for alternative in depends.split(","):
        for choice in alternative.split("|"):
            names.add(choice.strip().split()[0].split(":")[0])
    print(f"Depends: {depends}")
    return names


def needed_libraries(binary):
    dump = run(["objdump", "-p", binary]).stdout
    needed = re.findall(r"^\s*NEEDED\s+(\S+)", dump, re.M)
    if not needed:
        fail(f"objdump -p {binary} lists no NEEDED library")
    resolved = {}
    for line in run(["ldd", binary]).stdout.splitlines():
        m = re.match(r"\s*(\S+) => (\S+)", line)
        if m:
            resolved[m.group(1)] = m.group(2)
    return {lib: resolved.get(lib) for lib in needed}


def owning_package(path):
    # dpkg -S knows the path as installed; with merged /usr the loader may report /lib/... for
    # a file dpkg registered as /usr/lib/... (or the other way round), so both are asked.
    candidates = [path, os.path.realpath(path)]
    for p in list(candidates):
        if p.startswith("/usr/lib/"):
            candidates.append(p[len("/usr"):])
        elif p.startswith("/lib/"):
            candidates.append("/usr" + p)
    for p in candidates:
        proc = subprocess.run(["dpkg", "-S", p], capture_output=True, text=True)
        if proc.returncode == 0:
            return proc.stdout.split(":")[0].strip()
    return None


def provided_names(package):
    out = run(["dpkg-query", "-W", "-f=${Provides}", package]).stdout
    return {p.strip().split()[0] for p in out.split(",") if p.strip()}


def check_depends(deb, binary):
    depends = depends_packages(deb)
    libs = needed_libraries(binary)
    for lib, path in sorted(libs.items()):
        if path is None:
            fail(f"ldd does not resolve {lib} of {binary}")
        package = owning_package(path)
        if package is None:
            fail(f"no installed package owns {path} ({lib})")
        # A library's shlibs file may name a virtual package its package provides (Debian's
        # libspdlog1.10 provides libspdlog1.10-fmt9, the name its ABI with fmt 9 is known by).
        names = {package} | provided_names(package)
        if not names & depends:
            fail(f"{lib} comes from {package} (provides {sorted(names)}), which Depends lacks "
                 f"({sorted(depends)})")
        print(f"  {lib} -> {path} -> {package}: {sorted(names & depends)} in Depends")
    print(f"{len(libs)} NEEDED libraries, each one's package in Depends")


def unit_entries(path):
    entries = {}
    for line in open(path):
        line = line.strip()
        if line and not line.startswith(("#", ";", "[")) and "=" in line:
            key, _, value = line.partition("=")
            entries.setdefault(key.strip(), []).append(value.strip())
    return entries


def help_flags(binary, subcommand):
    out = run([binary, subcommand, "--help"]).stdout
    return set(re.findall(r"(--[a-z][a-z0-9-]*)", out))


def check_units(root, work):
    binary = os.path.join(root, "usr/bin/reco")
    verify_dir = os.path.join(work, "units")
    os.makedirs(verify_dir)
    for unit in UNITS:
        path = os.path.join(root, "lib/systemd/system", unit)
        entries = unit_entries(path)
        for key, want in SANDBOX.items():
            if entries.get(key) != [want]:
                fail(f"{unit}: {key}={entries.get(key)}, want {want}")
        if entries.get("User") != ["reco"] and entries.get("DynamicUser") != ["yes"]:
            fail(f"{unit}: runs neither as User=reco nor with DynamicUser=yes")
        argv = shlex.split(entries["ExecStart"][0])
        if argv[0] != "/usr/bin/reco":
            fail(f"{unit}: ExecStart runs {argv[0]}, not /usr/bin/reco")
        flags = help_flags(binary, argv[1])
        used = [a.split("=")[0] for a in argv[2:] if a.startswith("--")]
        if not used:
            fail(f"{unit}: ExecStart passes no flag (at least --data-dir is expected)")
        for flag in used:
            if flag not in flags:
                fail(f"{unit}: reco {argv[1]} has no flag {flag} ({sorted(flags)})")
        # systemd-analyze checks that ExecStart's program exists: point it at the unpacked one.
        text = open(path).read().replace("/usr/bin/reco", binary)
        with open(os.path.join(verify_dir, unit), "w") as f:
            f.write(text)
    if shutil.which("systemd-analyze") is None:
        fail("systemd-analyze not found; run scripts/install-deps.sh (package systemd)")
    units = [os.path.join(verify_dir, u) for u in UNITS]
    proc = subprocess.run(["systemd-analyze", "verify", "--man=no", *units],
                          capture_output=True, text=True)
    if proc.returncode != 0 or proc.stdout.strip() or proc.stderr.strip():
        fail(f"systemd-analyze verify exited {proc.returncode}:\n{proc.stdout}{proc.stderr}")
    print("units: systemd-analyze verify clean, sandbox keys set, ExecStart flags exist")


def check_scripts(deb, work):
    control = os.path.join(work, "control")
    run(["dpkg-deb", "-e", deb, control])
    for script in ("postinst", "prerm", "postrm"):
        path = os.path.join(control, script)
        if not os.access(path, os.X_OK):
            fail(f"{script} missing or not executable")
        run(["sh", "-n", path])
    print("maintainer scripts parse")


def check_runs(root, work):
    binary = os.path.join(root, "usr/bin/reco")
    out = run([binary, "--help"]).stdout
    for sub in ("serve", "worker", "gateway"):
        if not re.search(rf"^\s+{sub}\b", out, re.M):
            fail(f"the packaged reco --help lists no {sub}:\n{out}")
    data = os.path.join(work, "var-lib-reco")
    os.makedirs(data)
    log_path = os.path.join(work, "serve.log")
    log = open(log_path, "w")
    proc = subprocess.Popen([binary, "serve", "--data-dir", data, "--config",
                             os.path.join(root, "etc/reco/reco.toml"), "--http-port", "0"],
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        port = wait_for_port(proc, log_path)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health/ready",
                                    timeout=10) as resp:
            if resp.status != 200:
                fail(f"/api/health/ready answered {resp.status}")
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
    print(f"unpacked reco serve with /etc/reco/reco.toml answered /api/health/ready on {port}")


def wait_for_port(proc, log_path):
    import time
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            fail(f"reco serve exited {proc.returncode}:\n{open(log_path).read()}")
        m = re.search(r"listening on http://[0-9.]+:(\d+)", open(log_path).read())
        if m:
            return int(m.group(1))
        time.sleep(0.1)
    fail(f"reco serve did not report its port:\n{open(log_path).read()}")


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    build_dir, version = sys.argv[1:]
    work = tempfile.mkdtemp(prefix="reco_deb_")
    try:
        deb = build_deb(build_dir, version, os.path.join(work, "out"))
        check_contents(deb)
        check_scripts(deb, work)
        root = os.path.join(work, "root")
        run(["dpkg-deb", "-x", deb, root])
        check_depends(deb, os.path.join(root, "usr/bin/reco"))
        check_units(root, work)
        check_runs(root, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("deb_package: all checks passed")


if __name__ == "__main__":
    main()
