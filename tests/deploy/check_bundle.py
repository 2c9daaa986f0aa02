#!/usr/bin/env python3
"""The offline bundle installed with no network at all (ctest offline_bundle, label packaging).

  check_bundle.py SOURCE_DIR BUILD_DIR RECO_BINARY

1. A small demo data directory (reco demo-data, import, train) gives the bundled models.
2. scripts/make-offline-bundle.sh --no-image --with-models writes reco-offline-VERSION-amd64.tar.
   It refuses, naming the problem and writing nothing, a missing --image-tar file, a
   --with-models directory without models/, a call without --out, and a call with neither an
   image nor --no-image.
3. install.sh --verify-only accepts the bundle as written, and refuses a copy with one file
   altered, one removed and one added, naming each.
4. A fresh Debian 12 minbase root (debootstrap, cached as a tar in RECO_CACHE_DIR, default
   /var/cache/reco-ci) gets the bundle and the demo JSON files. In a new network namespace
   (`unshare --net`: only a loopback interface, no route anywhere) and a private mount
   namespace (/proc and /dev for the chroot): `chroot ROOT install.sh --deb`, `reco import` and
   `reco serve` as the `reco` user with the package's /etc/reco/reco.toml and the bundled
   models, then the bundled scripts/smoke_test.sh with the bundled curl, all inside the root.
5. install.sh --deb again over the installed package keeps the site's models/ unchanged.
6. A bundled model file altered after installation: reco serve refuses the production version
   at start-up with a message naming the file (and serves the newest valid files instead).
7. With the file restored, a training at the site, then `reco models rollback`: reco serve runs
   the bundled version again.

Needs root (chroot, unshare) and debootstrap for the first run; it fails, naming what is
missing, rather than skipping.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time


def fail(msg):
    print(f"FAIL: {msg}", flush=True)
    sys.exit(1)


def run(cmd, **kw):
    print("+ " + " ".join(cmd), flush=True)
    return subprocess.run(cmd, text=True, capture_output=True, **kw)


def must(cmd, **kw):
    r = run(cmd, **kw)
    if r.returncode != 0:
        fail(f"{' '.join(cmd)} exited {r.returncode}:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}")
    return r


def demo_data_dir(reco, work):
    json_dir, data = os.path.join(work, "json"), os.path.join(work, "data")
    must([reco, "demo-data", "--out", json_dir, "--users", "200", "--items", "300", "--days", "7",
          "--end", "2026-11-01"])
    must([reco, "import", "--data-dir", data, json_dir])
    must([reco, "train", "--data-dir", data])
    return json_dir, data


def check_refusals(src, build, work):
    """Bad arguments stop the script before anything is written, naming what is wrong."""
    script = os.path.join(src, "scripts/make-offline-bundle.sh")
    out = os.path.join(work, "refused")
    cases = [(["--image-tar", os.path.join(work, "absent.tar")], "absent.tar: no such file"),
             (["--no-image", "--with-models", work], "no models/ directory there"),
             (["--no-image"], "--out DIR is required")]
    # No image given and none reachable (DOCKER_HOST points nowhere): refused unless --no-image.
    cases.append(([], "pass --no-image for a bundle that installs with dpkg only"))
    env = {**os.environ, "DOCKER_HOST": "unix://" + os.path.join(work, "no-docker.sock")}
    for args, needle in cases:
        extra = [] if "--out DIR" in needle else ["--out", out]
        r = run([script, *extra, "--build-dir", build, *args], env=env)
        if r.returncode == 0 or needle not in r.stderr:
            fail(f"make-offline-bundle.sh {args}: exit {r.returncode}, want a refusal saying "
                 f"{needle!r}: {r.stderr}")
    if os.path.exists(out) and os.listdir(out):
        fail(f"a refused make-offline-bundle.sh wrote {os.listdir(out)}")


def make_bundle(src, build, data, out, image_args=("--no-image",)):
    started = time.monotonic()
    r = must([os.path.join(src, "scripts/make-offline-bundle.sh"), "--out", out, *image_args,
              "--with-models", data, "--build-dir", build])
    print(r.stderr.strip())
    names = [n for n in os.listdir(out) if re.fullmatch(r"reco-offline-.+-amd64\.tar", n)]
    if len(names) != 1:
        fail(f"expected one reco-offline-VERSION-amd64.tar in {out}, found {os.listdir(out)}")
    tar = os.path.join(out, names[0])
    print(f"bundle {tar}: {os.path.getsize(tar)} bytes in {time.monotonic() - started:.1f} s")
    return tar


def unpack(tar, into):
    os.makedirs(into, exist_ok=True)
    must(["tar", "-C", into, "-xf", tar])
    (top,) = os.listdir(into)
    return os.path.join(into, top)


def check_contents(bundle):
    for rel in ["install.sh", "SHA256SUMS", "README.md", "VERSION", "scripts/smoke_test.sh",
                "deploy/compose/docker-compose.yml", "deploy/k8s/kustomization.yaml",
                "deploy/monitoring/alert_rules.yml", "docs/deploy.md",
                "models/model_registry.json"]:
        if not os.path.isfile(os.path.join(bundle, rel)):
            fail(f"the bundle lacks {rel}")
    debs = os.listdir(os.path.join(bundle, "debs/deps"))
    if not any(d.startswith("libxgboost0_") for d in debs) or \
       not any(d.startswith("curl_") for d in debs):
        fail(f"debs/deps lacks libxgboost0 or curl: {debs}")
    if os.path.exists(os.path.join(bundle, "image")):
        fail("a --no-image bundle has an image/ directory")


def check_verify(bundle, work):
    r = run([os.path.join(bundle, "install.sh"), "--verify-only"])
    if r.returncode != 0:
        fail(f"install.sh --verify-only refused the intact bundle:\n{r.stdout}{r.stderr}")
    print(r.stdout.strip())
    bad = os.path.join(work, "tampered")
    shutil.copytree(bundle, bad, symlinks=True)
    with open(os.path.join(bad, "docs/deploy.md"), "a") as f:
        f.write("\naltered\n")
    removed = sorted(os.listdir(os.path.join(bad, "debs/deps")))[0]
    os.remove(os.path.join(bad, "debs/deps", removed))
    with open(os.path.join(bad, "debs/deps/planted_1.0_amd64.deb"), "w") as f:
        f.write("not listed\n")
    r = run([os.path.join(bad, "install.sh"), "--verify-only"])
    print(r.stdout + r.stderr)
    if r.returncode != 1:
        fail(f"install.sh --verify-only exited {r.returncode} on a tampered bundle (want 1)")
    for needle in ["altered file (sha256 differs from SHA256SUMS): docs/deploy.md",
                   f"missing file: debs/deps/{removed}",
                   "file not in SHA256SUMS: debs/deps/planted_1.0_amd64.deb", "REFUSED"]:
        if needle not in r.stderr:
            fail(f"install.sh --verify-only on a tampered bundle does not say {needle!r}")
    os.remove(os.path.join(bad, "SHA256SUMS"))
    r = run([os.path.join(bad, "install.sh"), "--deb"])
    if r.returncode == 0 or "SHA256SUMS is missing" not in r.stderr:
        fail(f"install.sh without SHA256SUMS: exit {r.returncode}, {r.stderr}")


# Runs inside `unshare --net --mount`: loopback only, the root's /proc and /dev bind-mounted
# in the private mount namespace (gone when it exits).
IN_NAMESPACE = r"""
set -euo pipefail
ROOT=$1
ip link set lo up
ifaces=$(ip -o link show | awk -F': ' '{print $2}' | tr '\n' ' ')
echo "network interfaces in the namespace: $ifaces"
[[ $ifaces == "lo " ]] || { echo "FAIL: interfaces other than lo: $ifaces"; exit 1; }
ip route show | grep -q . && { echo "FAIL: a route exists: $(ip route show)"; exit 1; }
mount -t proc proc "$ROOT/proc"
mount --rbind /dev "$ROOT/dev"
start=$(date +%s%N)
chroot "$ROOT" /opt/bundle/install.sh --deb
echo "install.sh --deb took $(( ($(date +%s%N) - start) / 1000000 )) ms"
chroot "$ROOT" sh -c 'command -v reco curl'
chroot --userspec=reco:reco "$ROOT" reco import --data-dir /var/lib/reco /srv/json

serve() {  # LOG: starts reco serve as reco with the package's config, waits for ready
  chroot --userspec=reco:reco "$ROOT" reco serve --data-dir /var/lib/reco \
    --config /etc/reco/reco.toml >"$1" 2>&1 &
  SERVE_PID=$!
  for _ in $(seq 1 100); do
    chroot "$ROOT" curl -fsS -o /dev/null http://127.0.0.1:8000/api/health/ready 2>/dev/null && return 0
    kill -0 $SERVE_PID 2>/dev/null || { echo "FAIL: reco serve exited:"; cat "$1"; exit 1; }
    sleep 0.2
  done
  echo "FAIL: reco serve not ready after 20 s:"; cat "$1"; exit 1
}
stop() { kill $SERVE_PID; wait $SERVE_PID || true; }

serve "$WORK/serve1.log"
chroot "$ROOT" /opt/bundle/scripts/smoke_test.sh http://127.0.0.1:8000
chroot "$ROOT" curl -fsS http://127.0.0.1:8000/health | tee "$WORK/health1.json"
echo
stop

# The same bundle installed again (an upgrade in place): the package is reinstalled over the
# configured one, and the site's models are kept, not overwritten by the bundled ones.
echo "site model" >"$ROOT/var/lib/reco/models/site-marker"
before=$(cd "$ROOT/var/lib/reco/models" && sha256sum * | sort)
chroot "$ROOT" /opt/bundle/install.sh --deb >"$WORK/reinstall.log" 2>&1 ||
  { echo "FAIL: install.sh --deb over an installed reco:"; cat "$WORK/reinstall.log"; exit 1; }
grep -q "already has models; the bundled ones were not copied" "$WORK/reinstall.log" ||
  { echo "FAIL: the reinstall does not say it kept the models:"; cat "$WORK/reinstall.log"; exit 1; }
after=$(cd "$ROOT/var/lib/reco/models" && sha256sum * | sort)
[[ $before == "$after" ]] || { echo "FAIL: the reinstall changed models/"; exit 1; }
rm "$ROOT/var/lib/reco/models/site-marker"
echo "reinstall kept the site's models"

# A bundled model altered after installation: the production version must be refused.
model=$(cd "$ROOT/var/lib/reco/models" && ls itemcf-*.rmdl | head -n 1)
echo "altering models/$model"
cp "$ROOT/var/lib/reco/models/$model" "$WORK/model.orig"
printf 'X' | dd of="$ROOT/var/lib/reco/models/$model" bs=1 seek=100 conv=notrunc status=none
serve "$WORK/serve2.log"
health=$(chroot "$ROOT" curl -fsS http://127.0.0.1:8000/health)
echo "$health"
stop
grep -q '"itemcf":false' <<<"$health" ||
  { echo "FAIL: the altered itemcf model is still served"; exit 1; }
echo "---- serve log after the alteration"
grep -E 'registry_version_rejected|rejected' "$WORK/serve2.log" || true
grep -q "registry_version_rejected" "$WORK/serve2.log" ||
  { echo "FAIL: no event=registry_version_rejected"; cat "$WORK/serve2.log"; exit 1; }
grep "registry_version_rejected" "$WORK/serve2.log" | grep -q "models/$model" ||
  { echo "FAIL: the rejection does not name models/$model"; exit 1; }
cat "$WORK/model.orig" >"$ROOT/var/lib/reco/models/$model"

# Rollback of models on the installed system: a training at the site makes a new production
# version; `reco models rollback` returns to the bundled one, which serve then loads.
bundled_run=$(grep -o '"primary":{"run_id":"[^"]*"' "$WORK/health1.json" | cut -d'"' -f6)
[[ -n $bundled_run ]] || { echo "FAIL: no primary run id in $(cat "$WORK/health1.json")"; exit 1; }
chroot --userspec=reco:reco "$ROOT" reco train --data-dir /var/lib/reco >"$WORK/train.log" 2>&1 ||
  { echo "FAIL: reco train at the site:"; cat "$WORK/train.log"; exit 1; }
chroot --userspec=reco:reco "$ROOT" reco models rollback --data-dir /var/lib/reco
serve "$WORK/serve3.log"
health=$(chroot "$ROOT" curl -fsS http://127.0.0.1:8000/health)
stop
grep -q "\"primary\":{\"run_id\":\"$bundled_run\"" <<<"$health" ||
  { echo "FAIL: after the rollback serve does not run the bundled $bundled_run: $health"; exit 1; }
grep -q '"itemcf":true' <<<"$health" || { echo "FAIL: rolled back without itemcf: $health"; exit 1; }
echo "rollback to the bundled version $bundled_run served"
echo "IN_NAMESPACE_OK"
"""


def fresh_root(src, work):
    started = time.monotonic()
    r = must([os.path.join(src, "scripts/make-offline-bundle.sh"), "--minbase-tar"])
    minbase = r.stdout.strip().splitlines()[-1]
    root = os.path.join(work, "root")
    os.makedirs(root)
    must(["tar", "-C", root, "-xf", minbase])
    print(f"fresh minbase root from {minbase} in {time.monotonic() - started:.1f} s")
    return root


def main():
    if len(sys.argv) != 4:
        fail("usage: check_bundle.py SOURCE_DIR BUILD_DIR RECO_BINARY")
    src, build, reco = sys.argv[1:]
    if os.geteuid() != 0:
        fail("needs root (chroot, unshare --net, mount)")
    for tool in ["unshare", "chroot", "ip", "mount"]:
        if shutil.which(tool) is None:
            fail(f"{tool} is not installed (scripts/install-deps.sh)")
    work = tempfile.mkdtemp(prefix="reco-bundle-")
    try:
        json_dir, data = demo_data_dir(reco, work)
        check_refusals(src, build, work)
        tar = make_bundle(src, build, data, os.path.join(work, "out"))
        bundle = unpack(tar, os.path.join(work, "unpacked"))
        check_contents(bundle)
        check_verify(bundle, work)
        root = fresh_root(src, work)
        if os.path.exists(os.path.join(root, "usr/bin/curl")):
            fail("the minbase root already has curl; the test would not prove the bundled one")
        must(["tar", "-C", os.path.join(root, "opt"), "-xf", tar])
        os.rename(os.path.join(root, "opt", os.path.basename(bundle)),
                  os.path.join(root, "opt/bundle"))
        shutil.copytree(json_dir, os.path.join(root, "srv/json"))
        script = os.path.join(work, "in_namespace.sh")
        with open(script, "w") as f:
            f.write(IN_NAMESPACE)
        started = time.monotonic()
        r = subprocess.run(["unshare", "--net", "--mount", "--propagation", "private",
                            "bash", script, root], text=True, capture_output=True,
                           env={**os.environ, "WORK": work}, timeout=400)
        print(r.stdout[-12000:])
        print(r.stderr[-4000:])
        if r.returncode != 0 or "IN_NAMESPACE_OK" not in r.stdout:
            fail(f"the network-less install, serve and smoke test failed (exit {r.returncode})")
        print(f"network-less install + serve + smoke test: {time.monotonic() - started:.1f} s")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("OK")


if __name__ == "__main__":
    main()
