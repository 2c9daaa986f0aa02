#!/usr/bin/env python3
"""deploy/compose against Debian's docker-compose 1.29 and the real binary (ctest compose_file).

  check_compose.py COMPOSE_DIR MONITORING_DIR SRC_DIR RECO_BINARY

- `docker-compose config` (no daemon needed) renders docker-compose.yml with .env.example: it
  must refuse the example as shipped (MODEL_RELOAD_TOKEN is required and empty there) and render
  it once the token is filled, with and without `--profile monitoring`. Compose v2
  (`docker compose`) renders it too when it is installed; Debian 12 does not package it.
- .env.example has every variable the operators use; each is either read by the compose file
  or listed as "not used by reco".
- In the rendered file, every service of the reco image runs `reco SUBCOMMAND` as uid 50000 with
  flags that subcommand has, environment variables reco reads, and published container ports
  equal to the ports it is told to listen on.
- serve, worker and gateway are started for real with the rendered command and environment
  (loopback, free ports, a temporary data directory); their /metrics and the healthcheck's path
  answer 200, and the healthcheck's command itself succeeds against the running server.
- prometheus.yml (promtool check config) and alertmanager.yml (amtool check-config) of the
  monitoring profile, their targets at the compose services.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reco_surface as rs  # noqa: E402

OPERATOR_VARS = ["RECOMMEND_API_HOST_PORT", "PROMETHEUS_HOST_PORT", "ALERTMANAGER_HOST_PORT",
                 "NOTIFICATION_GATEWAY_HOST_PORT", "REDIS_HOST_PORT", "DATA_JSON_DIR",
                 "CLIP_MODEL_PATH", "HF_HUB_OFFLINE", "WEIXIN_WEBHOOK_URL", "WEIXIN_WEBHOOK_KEY"]
UNUSED_VARS = {"REDIS_HOST_PORT", "CLIP_MODEL_PATH", "HF_HUB_OFFLINE"}
PORT_FLAGS = ("--http-port", "--metrics-port", "--grpc-port")
fail = rs.fail


def run(args, **kw):
    if shutil.which(args[0]) is None:
        fail(f"{args[0]} not found on PATH; run scripts/install-deps.sh")
    return subprocess.run(args, capture_output=True, text=True, **kw)


def env_file_vars(path):
    values = {}
    for line in open(path):
        m = re.match(r"^([A-Z][A-Z0-9_]*)=(.*)$", line.strip())
        if m:
            values[m.group(1)] = m.group(2)
    return values


def check_env_example(compose_dir):
    path = os.path.join(compose_dir, ".env.example")
    values = env_file_vars(path)
    text = open(path).read()
    compose = open(os.path.join(compose_dir, "docker-compose.yml")).read()
    for var in OPERATOR_VARS:
        if var not in values:
            fail(f".env.example lacks {var}")
    unused_block = text[text.index("not used by reco"):]
    for var in values:
        if var.startswith("COMPOSE_"):  # read by Compose itself, not by the file
            continue
        read = re.search(r"\$\{" + var + r"\b", compose) is not None
        listed_unused = re.search(r"#\s+" + var + r"\s+-", unused_block) is not None
        if var in UNUSED_VARS and (read or not listed_unused):
            fail(f"{var}: reco does not use it, so .env.example must list it as not used and "
                 f"the compose file must not read it")
        if var not in UNUSED_VARS and not read:
            fail(f".env.example sets {var}, which docker-compose.yml never reads")
    print(f".env.example: {len(values)} variables, each read by the compose file or listed "
          f"as not used ({sorted(UNUSED_VARS)})")
    return values


def render(compose_dir, env_file, profile, v2=False):
    base = ["docker", "compose"] if v2 else ["docker-compose"]
    args = base + ["-f", os.path.join(compose_dir, "docker-compose.yml"), "--env-file", env_file]
    if profile:
        args += ["--profile", profile]
    return run(args + ["config"])


def filled_env_file(compose_dir, work):
    values = env_file_vars(os.path.join(compose_dir, ".env.example"))
    path = os.path.join(work, "test.env")
    with open(path, "w") as f:
        for var, value in values.items():
            if var == "MODEL_RELOAD_TOKEN":
                value = "compose-test-token"
            if var == "WEIXIN_WEBHOOK_KEY":
                value = "compose-test-key"
            f.write(f"{var}={value}\n")
    return path


def check_renders(compose_dir, work):
    bare = render(compose_dir, os.path.join(compose_dir, ".env.example"), None)
    if bare.returncode == 0 or "MODEL_RELOAD_TOKEN" not in bare.stderr:
        fail(f"docker-compose config accepted .env.example without MODEL_RELOAD_TOKEN:\n"
             f"{bare.stdout}{bare.stderr}")
    env_file = filled_env_file(compose_dir, work)
    rendered = {}
    for profile in (None, "monitoring"):
        proc = render(compose_dir, env_file, profile)
        if proc.returncode != 0:
            fail(f"docker-compose config (profile {profile}) exited {proc.returncode}:\n"
                 f"{proc.stderr}")
        rendered[profile] = yaml.safe_load(proc.stdout)
    version = run(["docker-compose", "version", "--short"]).stdout.strip()
    print(f"docker-compose {version}: renders with the token, refuses the bare example")
    v2 = run(["docker", "compose", "version"]) if shutil.which("docker") else None
    if v2 is not None and v2.returncode == 0:
        proc = render(compose_dir, env_file, "monitoring", v2=True)
        if proc.returncode != 0:
            fail(f"docker compose (v2) config exited {proc.returncode}:\n{proc.stderr}")
        print(f"{v2.stdout.strip()}: renders too")
    else:
        print("Compose v2 (`docker compose`) not installed: rendered with 1.29 only")
    services = rendered["monitoring"]["services"]
    want = {"reco-volumes", "reco-serve", "reco-worker", "prometheus", "alertmanager",
            "reco-gateway"}
    if set(services) != want:
        fail(f"services are {sorted(services)}, want {sorted(want)}")
    # docker-compose 1.29's `config` lists every service whatever the profile; `up` starts only
    # those without a profile unless one is given.
    monitoring = {n for n, s in services.items() if s.get("profiles") == ["monitoring"]}
    if monitoring != {"prometheus", "alertmanager", "reco-gateway"}:
        fail(f"the monitoring profile holds {sorted(monitoring)}")
    for name, service in services.items():
        if name not in monitoring and service.get("profiles"):
            fail(f"{name} is behind profiles {service['profiles']}; it must always start")
    return services, env_file


def published_targets(service):
    targets = set()
    for port in service.get("ports", []):
        if isinstance(port, dict):
            targets.add(int(port["target"]))
        else:
            targets.add(int(str(port).split(":")[-1]))
    return targets


def check_reco_services(services, binary, known_env):
    image = services["reco-serve"]["image"]
    roles = {}
    cache = {}
    for name, service in sorted(services.items()):
        if service.get("image") != image or name == "reco-volumes":
            continue
        if service.get("user") != "50000:50000":
            fail(f"{name}: user is {service.get('user')}, want 50000:50000")
        argv = service["command"]
        sub, used = rs.check_argv(binary, argv, name, cache)
        for var in service.get("environment", {}):
            if var not in known_env:
                fail(f"{name}: reco reads no environment variable {var}")
        listen = {int(rs.flag_value(argv, f)) for f in PORT_FLAGS if rs.flag_value(argv, f)}
        if not listen:
            fail(f"{name}: command names no port")
        published = published_targets(service)
        if published - listen:
            fail(f"{name}: publishes container ports {sorted(published)}, reco listens on "
                 f"{sorted(listen)}")
        host = rs.flag_value(argv, "--host") or rs.flag_value(argv, "--metrics-host")
        if host != "0.0.0.0":
            fail(f"{name}: listens on {host}; other containers cannot reach it")
        roles[name] = (sub, argv, service.get("environment", {}), service.get("healthcheck"))
        print(f"{name}: reco {sub} {' '.join(used)}; env {sorted(service.get('environment', {}))}")
    if sorted(r[0] for r in roles.values()) != ["gateway", "serve", "worker"]:
        fail(f"reco roles are {sorted(roles)}")
    volumes = services["reco-volumes"]
    if volumes.get("user") != "0:0" or "50000:50000" not in volumes.get("entrypoint", []):
        fail("reco-volumes must chown the volumes to 50000:50000 as root")
    return roles


def run_healthcheck(name, test, argv, port):
    """Runs the healthcheck's CMD here, its port changed to the one the test's role listens on."""
    if test[0] != "CMD":
        fail(f"{name}: healthcheck {test} is not a CMD list")
    listen = rs.flag_value(argv, "--http-port")
    cmd = [a.replace(f"/{listen}", f"/{port}") for a in test[1:]]
    proc = run(cmd, timeout=30)
    if proc.returncode != 0:
        fail(f"{name}: healthcheck {cmd} exited {proc.returncode}: {proc.stderr}")


def check_roles_run(roles, binary, work):
    for name, (sub, argv, env, healthcheck) in sorted(roles.items()):
        data = os.path.join(work, name)
        os.makedirs(data)
        local_env = {k: str(v) for k, v in env.items()}
        if "DATA_JSON_DIR" in local_env:
            local_env["DATA_JSON_DIR"] = data
        role = rs.Role(rs.local_argv(binary, argv, data), local_env,
                       os.path.join(work, f"{name}.log"))
        try:
            paths = ["/metrics"]
            if healthcheck:
                m = re.search(r"GET (/\S+) HTTP", " ".join(healthcheck["test"]))
                if not m:
                    fail(f"{name}: healthcheck names no GET path: {healthcheck['test']}")
                paths.append(m.group(1))
            for path in paths:
                status = role.status(path)
                if status != 200:
                    fail(f"{name}: GET {path} answered {status}")
            if healthcheck:
                run_healthcheck(name, healthcheck["test"], argv, role.port)
            print(f"{name}: started with its command and environment; {paths} answer 200")
        finally:
            role.stop()


def check_monitoring(compose_dir, monitoring_dir, services, work):
    prom_dir = os.path.join(work, "prometheus")
    os.makedirs(prom_dir)
    shutil.copy(os.path.join(compose_dir, "prometheus.yml"), prom_dir)
    shutil.copy(os.path.join(monitoring_dir, "alert_rules.yml"), prom_dir)
    for args, cwd in ((["promtool", "check", "config", "prometheus.yml"], prom_dir),
                      (["amtool", "check-config", "alertmanager.yml"], compose_dir)):
        proc = run(args, cwd=cwd)
        if proc.returncode != 0:
            fail(f"{' '.join(args)} exited {proc.returncode}:\n{proc.stdout}{proc.stderr}")
    prom = yaml.safe_load(open(os.path.join(compose_dir, "prometheus.yml")))
    targets = [t for job in prom["scrape_configs"] for sc in job["static_configs"]
               for t in sc["targets"]]
    targets += [t for am in prom["alerting"]["alertmanagers"] for sc in am["static_configs"]
                for t in sc["targets"]]
    ports_of = {name: set() for name in services}
    for name, service in services.items():
        command = service.get("command") or []
        for flag in PORT_FLAGS:
            if rs.flag_value(command, flag):
                ports_of[name].add(int(rs.flag_value(command, flag)))
    ports_of["prometheus"].add(9090)
    ports_of["alertmanager"].add(9093)
    for target in targets:
        host, port = target.rsplit(":", 1)
        host = "prometheus" if host == "localhost" else host
        if host not in services or int(port) not in ports_of[host]:
            fail(f"prometheus.yml target {target} is no port of a compose service")
    am = yaml.safe_load(open(os.path.join(compose_dir, "alertmanager.yml")))
    urls = [w["url"] for r in am["receivers"] for w in r.get("webhook_configs", [])]
    if not urls:
        fail("alertmanager.yml has no webhook")
    gateway_port = next(iter(ports_of["reco-gateway"]))
    for url in urls:
        if url != f"http://reco-gateway:{gateway_port}/alertmanager":
            fail(f"alertmanager.yml webhook {url} is not reco-gateway's /alertmanager")
    print(f"monitoring: promtool and amtool accept the files; {len(targets)} targets and "
          f"{len(urls)} webhooks point at compose services")


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    compose_dir, monitoring_dir, src_dir, binary = sys.argv[1:]
    work = tempfile.mkdtemp(prefix="reco_compose_")
    try:
        check_env_example(compose_dir)
        services, _ = check_renders(compose_dir, work)
        roles = check_reco_services(services, binary, rs.env_names(src_dir))
        check_roles_run(roles, binary, work)
        check_monitoring(compose_dir, monitoring_dir, services, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("compose_file: all checks passed")


if __name__ == "__main__":
    main()
