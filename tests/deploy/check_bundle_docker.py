#!/usr/bin/env python3
"""The offline bundle with the image, installed with `install.sh --docker` and no network
(ctest offline_bundle_docker, label packaging).

  check_bundle_docker.py SOURCE_DIR BUILD_DIR RECO_BINARY VERSION

1. The test's own dockerd (check_image.Daemon: Debian's docker.io, --iptables=false
   --bridge=none, data root cached in RECO_CACHE_DIR) builds reco:VERSION as container_image
   does; `docker save` writes it to a tar.
2. scripts/make-offline-bundle.sh --image-tar TAR --with-models DEMO_DATA writes the bundle;
   it has image/reco-VERSION.tar and install.sh --verify-only accepts it.
3. The image is removed from the daemon, then `install.sh --docker` runs inside
   `unshare --net` (only a loopback interface): docker load, the Compose files into the site
   directory, a new .env with a generated MODEL_RELOAD_TOKEN, the bundled models into the
   reco-models volume, `docker-compose up -d`. reco-serve, reco-worker and the one-shot
   reco-volumes come up from the loaded image; the bundled smoke test passes against the
   published port and reco serve runs the bundled model version.
   The demo JSON files, mounted from the .env's DATA_JSON_DIR, are imported with
   `docker-compose exec reco-serve reco import`, then reco-serve is restarted.
4. install.sh --docker again (an upgrade in place) keeps .env and the volume's models.
The Compose project is removed with its volumes afterwards.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_bundle  # noqa: E402
import check_image  # noqa: E402
from check_bundle import fail, must, run  # noqa: E402

PROJECT = "reco-bundle-test"


def get_json(url):
    with urllib.request.urlopen(url, timeout=3) as r:
        return json.loads(r.read())


def wait_ready(d, url, site):
    deadline = time.monotonic() + 90
    while check_image.http_status(url) != 200:
        if time.monotonic() > deadline:
            logs = d.docker(["ps", "-a"], check=False).stdout
            for svc in ("reco-serve", "reco-volumes"):
                logs += compose(d, site, ["logs", "--no-color", svc], check=False).stdout
            fail(f"{url} did not answer 200 within 90 s:\n{logs[-6000:]}")
        time.sleep(0.5)


def compose(d, site, args, check=True):
    r = subprocess.run(["docker-compose"] + args, cwd=os.path.join(site, "compose"), env=d.env,
                       text=True, capture_output=True)
    if check and r.returncode != 0:
        fail(f"docker-compose {' '.join(args)} exited {r.returncode}:\n{r.stdout}{r.stderr}")
    return r


def install(d, bundle, site, port, json_dir, log):
    """install.sh --docker with no network: its docker and docker-compose reach the daemon
    through the Unix socket only."""
    env = {**d.env, "RECOMMEND_API_HOST_PORT": str(port), "COMPOSE_PROJECT_NAME": PROJECT,
           "DATA_JSON_DIR": json_dir}
    env.pop("DOCKER_BUILDKIT", None)
    started = time.monotonic()
    r = subprocess.run(["unshare", "--net", "sh", "-c",
                        'echo "interfaces: $(ip -o link show | cut -d: -f2 | tr -d " " | tr "\\n" " ")"; '
                        'exec "$0" --docker --site-dir "$1"',
                        os.path.join(bundle, "install.sh"), site],
                       env=env, text=True, capture_output=True, timeout=600)
    with open(log, "w") as f:
        f.write(r.stdout + r.stderr)
    print(r.stdout[-4000:] + r.stderr[-4000:])
    if r.returncode != 0:
        fail(f"install.sh --docker exited {r.returncode}")
    if "interfaces: lo \n" not in r.stdout:
        fail("install.sh ran with network interfaces other than lo")
    print(f"install.sh --docker (no network): {time.monotonic() - started:.1f} s")
    return r.stdout + r.stderr


def env_file(site):
    return dict(line.split("=", 1) for line in open(os.path.join(site, "compose/.env")).read()
                .splitlines() if "=" in line and not line.startswith("#"))


def main():
    if len(sys.argv) != 5:
        fail("usage: check_bundle_docker.py SOURCE_DIR BUILD_DIR RECO_BINARY VERSION")
    src, build, reco, version = sys.argv[1:]
    for tool in (check_image.DOCKER, check_image.DOCKERD):
        if not os.access(tool, os.X_OK):
            check_image.skip(f"{tool} missing: install Debian's docker.io (scripts/install-deps.sh)")
    if shutil.which("docker-compose") is None:
        fail("docker-compose is not installed (scripts/install-deps.sh)")
    if os.geteuid() != 0:
        fail("needs root (dockerd, unshare --net)")
    cache = os.environ.get("RECO_CACHE_DIR", "/var/cache/reco-ci")
    os.makedirs(cache, exist_ok=True)
    tag = f"reco:{version}"
    work = tempfile.mkdtemp(prefix="reco-bundle-docker-")
    site = os.path.join(work, "site")
    d = check_image.Daemon(cache)
    d.start()
    try:
        check_image.build_base(d, src, cache)
        check_image.build_image(d, src, reco, tag)
        image_tar = os.path.join(work, "image.tar")
        d.docker(["save", "-o", image_tar, tag])
        os.chmod(work, 0o755)  # the JSON files are read by uid 50000 in the containers
        json_dir, data = check_bundle.demo_data_dir(reco, work)
        tar = check_bundle.make_bundle(src, build, data, os.path.join(work, "out"),
                                       image_args=("--image-tar", image_tar))
        os.remove(image_tar)
        bundle = check_bundle.unpack(tar, os.path.join(work, "unpacked"))
        if not os.path.isfile(os.path.join(bundle, f"image/reco-{version}.tar")):
            fail(f"the bundle lacks image/reco-{version}.tar")
        must([os.path.join(bundle, "install.sh"), "--verify-only"])
        # The site has never seen the image: it must come from the bundle.
        d.docker(["rmi", "-f", tag])
        port = check_image.free_port()
        out = install(d, bundle, site, port, json_dir, os.path.join(work, "install1.log"))
        for needle in ["Loaded image: " + tag, "copied the bundled models into the reco-models volume"]:
            if needle not in out:
                fail(f"install.sh --docker did not say {needle!r}")
        first_env = env_file(site)
        if len(first_env.get("MODEL_RELOAD_TOKEN", "")) != 64 or \
                first_env.get("RECO_IMAGE") != tag or first_env.get("RECOMMEND_API_HOST_PORT") != str(port):
            fail(f"the written .env is not as expected: {first_env}")
        base = f"http://127.0.0.1:{port}"
        wait_ready(d, base + "/api/health/ready", site)
        # The site's data, from the DATA_JSON_DIR the .env mounts at /srv/reco/json.
        compose(d, site, ["exec", "-T", "reco-serve", "reco", "import", "--data-dir",
                          "/var/lib/reco", "/srv/reco/json"])
        # A running server reads items written by another process at its next start.
        compose(d, site, ["restart", "reco-serve"])
        wait_ready(d, base + "/api/health/ready", site)
        must([os.path.join(bundle, "scripts/smoke_test.sh"), base])
        with open(os.path.join(bundle, "models/model_registry.json")) as f:
            registry = json.load(f)
        production = [v["run_id"] for v in registry["versions"] if "production" in v.get("aliases", [])]
        health = get_json(base + "/health")
        if not production or health["primary"]["run_id"] != production[0]:
            fail(f"serve runs {health.get('primary')}, the bundle's production is {production}")
        ps = compose(d, site, ["ps"]).stdout
        print(ps)
        for service in ("reco-serve", "reco-worker"):
            if not any(service.replace("-", "_") in l or service in l for l in ps.splitlines()
                       if " Up " in l or "running" in l):
                fail(f"{service} is not up after install.sh --docker:\n{ps}")
        # An upgrade in place: the same bundle again keeps .env and the volume's models.
        out = install(d, bundle, site, check_image.free_port(), json_dir,
                      os.path.join(work, "install2.log"))
        if "the reco-models volume already has models" not in out or "kept " not in out:
            fail("a second install.sh --docker did not keep the models and .env")
        if env_file(site) != first_env:
            fail(f"the second install changed .env: {first_env} -> {env_file(site)}")
        wait_ready(d, base + "/api/health/ready", site)
        if get_json(base + "/health")["primary"]["run_id"] != production[0]:
            fail("after the second install serve no longer runs the bundled version")
        print("install.sh --docker again kept .env and the models; serve still ready")
    finally:
        if os.path.isdir(os.path.join(site, "compose")):
            compose(d, site, ["down", "-v", "--timeout", "10"], check=False)
        d.docker(["image", "prune", "-f"], check=False)
        d.stop()
        shutil.rmtree(work, ignore_errors=True)
    print("OK")


if __name__ == "__main__":
    main()
