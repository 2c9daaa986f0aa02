#!/usr/bin/env python3
"""deploy/k8s checked offline against the real binary (ctest k8s_manifests; no cluster).

  check_k8s.py K8S_DIR SRC_DIR RECO_BINARY VERSION

- python3-yaml parses every manifest; kustomization.yaml lists every other file, and its image
  tag is the project's VERSION; `kubectl kustomize` builds the same objects when kubectl is
  installed (it is no Debian package: without it this step is reported as skipped).
- The objects the deployment needs: Deployments reco-serve (2 replicas) and reco-worker, each
  container with resources, uid/gid 50000 and non-root; serve with readiness and liveness
  probes; Services, the ConfigMap with reco.toml, the Secret with the API key, the reload token
  and the WeCom key, the PersistentVolumeClaim.
- Every container: `reco SUBCOMMAND` with flags that subcommand has; environment variables reco
  reads, from keys the Secret has; containerPorts equal to the ports it is told to listen on;
  probe and Service ports that name a containerPort; volumes that name the PVC and ConfigMap.
- Each Deployment's command is run for real with the ConfigMap's reco.toml and the Secret's
  values (loopback, free ports, a temporary data directory): every probe path and the
  Prometheus annotation's path answer 200.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reco_surface as rs  # noqa: E402

fail = rs.fail
PORT_FLAGS = ("--http-port", "--metrics-port", "--grpc-port")
SECRET_KEYS = {"RECO_SERVER_API_KEY", "MODEL_RELOAD_TOKEN", "WEIXIN_WEBHOOK_KEY"}


def load(k8s_dir):
    files = sorted(f for f in os.listdir(k8s_dir) if f.endswith((".yaml", ".yml")))
    objects = {}
    kustomization = None
    for name in files:
        with open(os.path.join(k8s_dir, name)) as f:
            docs = [d for d in yaml.safe_load_all(f) if d is not None]
        if not docs:
            fail(f"{name} holds no object")
        if name == "kustomization.yaml":
            kustomization = docs[0]
            continue
        for doc in docs:
            key = (doc["kind"], doc["metadata"]["name"])
            if key in objects:
                fail(f"{name}: {key} defined twice")
            objects[key] = doc
    if kustomization is None:
        fail("kustomization.yaml missing")
    listed = kustomization.get("resources", [])
    others = [f for f in files if f != "kustomization.yaml"]
    if sorted(listed) != others:
        fail(f"kustomization.yaml lists {sorted(listed)}, the directory holds {others}")
    print(f"{len(files)} files parse; kustomization.yaml lists all {len(others)} manifests; "
          f"{len(objects)} objects")
    return objects, kustomization


def check_kustomize(k8s_dir, objects, kustomization, version):
    tags = {i["name"]: i.get("newTag") for i in kustomization.get("images", [])}
    if tags.get("reco") != version:
        fail(f"kustomization.yaml tags image reco as {tags.get('reco')}, the project is {version}")
    if shutil.which("kubectl") is None:
        print("kubectl not installed: `kubectl kustomize` skipped")
        return
    proc = subprocess.run(["kubectl", "kustomize", k8s_dir], capture_output=True, text=True,
                          timeout=60)
    if proc.returncode != 0:
        fail(f"kubectl kustomize exited {proc.returncode}:\n{proc.stderr}")
    built = [d for d in yaml.safe_load_all(proc.stdout) if d]
    keys = {(d["kind"], d["metadata"]["name"]) for d in built}
    if keys != set(objects):
        fail(f"kubectl kustomize built {sorted(keys)}, the files hold {sorted(objects)}")
    images = {c["image"] for d in built if d["kind"] == "Deployment"
              for c in d["spec"]["template"]["spec"]["containers"]}
    if images != {f"reco:{version}"}:
        fail(f"kubectl kustomize sets images {images}, want reco:{version}")
    print(f"kubectl kustomize builds the same {len(keys)} objects with image reco:{version}")


def get(objects, kind, name):
    if (kind, name) not in objects:
        fail(f"no {kind} {name}")
    return objects[(kind, name)]


def check_required(objects):
    serve = get(objects, "Deployment", "reco-serve")
    if serve["spec"].get("replicas") != 2:
        fail(f"reco-serve has {serve['spec'].get('replicas')} replicas, want 2")
    get(objects, "Deployment", "reco-worker")
    get(objects, "Service", "reco-serve")
    get(objects, "PersistentVolumeClaim", "reco-data")
    config = get(objects, "ConfigMap", "reco-config")
    if "reco.toml" not in config.get("data", {}):
        fail("ConfigMap reco-config has no reco.toml")
    secret = get(objects, "Secret", "reco")
    keys = set(secret.get("stringData", {})) | set(secret.get("data", {}))
    if not SECRET_KEYS <= keys:
        fail(f"Secret reco has {sorted(keys)}, needs {sorted(SECRET_KEYS)}")
    for container in serve["spec"]["template"]["spec"]["containers"]:
        for probe in ("readinessProbe", "livenessProbe"):
            if "httpGet" not in container.get(probe, {}):
                fail(f"reco-serve container {container['name']} has no HTTP {probe}")
    print("required objects present: serve x2 with probes, worker, Service, ConfigMap, "
          "Secret, PVC")


def user_of(pod_spec, container):
    merged = dict(pod_spec.get("securityContext", {}))
    merged.update(container.get("securityContext", {}))
    return merged


def check_container(dep_name, pod_spec, container, objects, binary, known_env, cache):
    where = f"{dep_name}/{container['name']}"
    argv = list(container.get("command", [])) + list(container.get("args", []))
    sub, used = rs.check_argv(binary, argv, where, cache)
    sec = user_of(pod_spec, container)
    if sec.get("runAsUser") != 50000 or sec.get("runAsGroup") != 50000 or \
            sec.get("runAsNonRoot") is not True:
        fail(f"{where}: securityContext {sec} is not uid/gid 50000, non-root")
    res = container.get("resources", {})
    if not res.get("requests") or not res.get("limits"):
        fail(f"{where}: resources need requests and limits, has {res}")
    env = {}
    for var in container.get("env", []):
        if var["name"] not in known_env:
            fail(f"{where}: reco reads no environment variable {var['name']}")
        ref = var.get("valueFrom", {}).get("secretKeyRef")
        if ref:
            secret = get(objects, "Secret", ref["name"])
            values = secret.get("stringData", {})
            if ref["key"] not in values:
                fail(f"{where}: Secret {ref['name']} has no key {ref['key']}")
            env[var["name"]] = values[ref["key"]]
        elif "value" in var:
            env[var["name"]] = str(var["value"])
        else:
            fail(f"{where}: {var['name']} has neither a value nor a secretKeyRef")
    listen = {int(rs.flag_value(argv, f)) for f in PORT_FLAGS if rs.flag_value(argv, f)}
    ports = {p.get("name"): p["containerPort"] for p in container.get("ports", [])}
    if not ports or set(ports.values()) != listen:
        fail(f"{where}: containerPorts {ports}, reco listens on {sorted(listen)}")
    host = rs.flag_value(argv, "--host") or rs.flag_value(argv, "--metrics-host")
    paths = []
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        http = container.get(probe, {}).get("httpGet")
        if not http:
            continue
        if http["port"] not in ports and http["port"] not in ports.values():
            fail(f"{where}: {probe} port {http['port']} is no containerPort ({ports})")
        paths.append(http["path"])
    if not paths:
        fail(f"{where}: no HTTP probe")
    annotations = pod_spec.get("_annotations", {})
    if annotations.get("prometheus.io/scrape") == "true":
        if int(annotations["prometheus.io/port"]) not in listen:
            fail(f"{where}: prometheus.io/port {annotations['prometheus.io/port']} is not "
                 f"its port")
        paths.append(annotations["prometheus.io/path"])
    print(f"{where}: reco {sub} {' '.join(used)}; env {sorted(env)}; ports {ports}; "
          f"paths {paths}")
    return {"argv": argv, "env": env, "paths": paths, "host": host, "ports": ports}


def check_volumes(dep_name, pod_spec, objects):
    for volume in pod_spec.get("volumes", []):
        if "persistentVolumeClaim" in volume:
            get(objects, "PersistentVolumeClaim", volume["persistentVolumeClaim"]["claimName"])
        if "configMap" in volume:
            get(objects, "ConfigMap", volume["configMap"]["name"])
    claims = [v for v in pod_spec.get("volumes", []) if "persistentVolumeClaim" in v]
    if claims:
        affinity = pod_spec.get("affinity", {}).get("podAffinity", {})
        terms = affinity.get("requiredDuringSchedulingIgnoredDuringExecution", [])
        if not terms or terms[0].get("topologyKey") != "kubernetes.io/hostname":
            fail(f"{dep_name}: mounts the SQLite volume without requiring the node of the "
                 f"other pods that mount it")


def check_services(objects):
    deployments = [d for (k, _), d in objects.items() if k == "Deployment"]
    for (kind, name), svc in objects.items():
        if kind != "Service":
            continue
        selector = svc["spec"]["selector"]
        targets = [d for d in deployments
                   if selector.items() <= d["spec"]["template"]["metadata"]["labels"].items()]
        if not targets:
            fail(f"Service {name} selects no Deployment's pods")
        for port in svc["spec"]["ports"]:
            for d in targets:
                named = {p.get("name"): p["containerPort"]
                         for c in d["spec"]["template"]["spec"]["containers"]
                         for p in c.get("ports", [])}
                if port["targetPort"] not in named and port["targetPort"] not in named.values():
                    fail(f"Service {name}: targetPort {port['targetPort']} is no port of "
                         f"{d['metadata']['name']}")
    print("Services select Deployments and target their ports")


def check_hosts(containers, objects):
    """Every role listens on all interfaces: by --host/--metrics-host, or server.host of the
    ConfigMap's reco.toml for reco serve (the only role that reads it)."""
    toml = tomllib.loads(get(objects, "ConfigMap", "reco-config")["data"]["reco.toml"])
    for where, c in containers.items():
        host = c["host"]
        if host is None and c["argv"][1] == "serve":
            host = toml.get("server", {}).get("host")
        if host != "0.0.0.0":
            fail(f"{where}: listens on {host}; the kubelet's probes and the Service cannot "
                 f"reach it")
    print("every role listens on 0.0.0.0")


def run_roles(containers, objects, binary, work):
    config = os.path.join(work, "reco.toml")
    with open(config, "w") as f:
        f.write(get(objects, "ConfigMap", "reco-config")["data"]["reco.toml"])
    for where, c in sorted(containers.items()):
        data = os.path.join(work, where.replace("/", "_"))
        os.makedirs(data)
        argv = rs.local_argv(binary, c["argv"], data)
        if "--config" in c["argv"]:
            argv += ["--config", config]  # the ConfigMap's reco.toml, as mounted in the pod
        env = dict(c["env"])
        env["RECO_SERVER_HOST"] = "127.0.0.1"  # the ConfigMap says 0.0.0.0; tests stay local
        role = rs.Role(argv, env, os.path.join(work, where.replace("/", "_") + ".log"))
        try:
            for path in c["paths"]:
                status = role.status(path)
                if status != 200:
                    fail(f"{where}: GET {path} answered {status}")
        finally:
            role.stop()
        print(f"{where}: ran; {c['paths']} answer 200")


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    k8s_dir, src_dir, binary, version = sys.argv[1:]
    objects, kustomization = load(k8s_dir)
    check_kustomize(k8s_dir, objects, kustomization, version)
    check_required(objects)
    known_env = rs.env_names(src_dir)
    cache = {}
    containers = {}
    for (kind, name), dep in sorted(objects.items()):
        if kind != "Deployment":
            continue
        pod_spec = dict(dep["spec"]["template"]["spec"])
        pod_spec["_annotations"] = dep["spec"]["template"]["metadata"].get("annotations", {})
        check_volumes(name, pod_spec, objects)
        for container in pod_spec["containers"]:
            containers[f"{name}/{container['name']}"] = check_container(
                name, pod_spec, container, objects, binary, known_env, cache)
    if not containers:
        fail("no container found")
    check_services(objects)
    check_hosts(containers, objects)
    work = tempfile.mkdtemp(prefix="reco_k8s_")
    try:
        run_roles(containers, objects, binary, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("k8s_manifests: all checks passed")


if __name__ == "__main__":
    main()
