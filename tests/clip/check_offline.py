#!/usr/bin/python3
"""The whole CLIP embedding job with networking disabled: `reco embed-images` and
`reco embed-text` run under `unshare -n` (a new network namespace with no interface up, so any
connection attempt fails) on the tiny model of src/clip/clip_reference.py, and their outputs are
compared with the PyTorch reference to 1e-4. Also: a model folder without model.safetensors
makes the job fail naming that file, and leaves no output behind.

Usage: check_offline.py RECO_BINARY REFERENCE_DIR
REFERENCE_DIR is what clip_reference.py wrote (the ctest fixture clip_reference). Exit 77 (ctest:
skipped) with the reason when torch is missing there, or when this account may not create a
network namespace (unshare fails with EPERM: run as root or allow unprivileged user namespaces).
"""

import json
import math
import os
import shutil
import subprocess
import sys
import tempfile

SKIP = 77


def fail(message):
    sys.exit(f"FAIL: {message}")


def unshare_prefix():
    """The command prefix that runs a program without network, or exits 77 with the reason."""
    for prefix in (["unshare", "-n"], ["unshare", "-r", "-n"]):
        try:
            proc = subprocess.run(prefix + ["cat", "/proc/net/dev"], capture_output=True,
                                  text=True)
        except FileNotFoundError:
            print("SKIP: unshare (util-linux) is not installed")
            sys.exit(SKIP)
        if proc.returncode == 0:
            interfaces = [line.split(":")[0].strip() for line in proc.stdout.splitlines()[2:]]
            if interfaces != ["lo"]:
                fail(f"{' '.join(prefix)} still shows network interfaces {interfaces}")
            return prefix
    print(f"SKIP: cannot create a network namespace ({proc.stderr.strip()}); run as root or "
          "allow unprivileged user namespaces")
    sys.exit(SKIP)


def read_lines(path):
    out = {}
    with open(path) as f:
        for line in f:
            row = json.loads(line)
            out[row["item_id"]] = row["embedding"]
    return out


def close(actual, expected, tolerance=1e-4):
    return len(actual) == len(expected) and \
        max(abs(a - b) for a, b in zip(actual, expected)) <= tolerance


def main(reco, ref):
    if os.path.exists(os.path.join(ref, "SKIP")):
        print("SKIP: " + open(os.path.join(ref, "SKIP")).read().strip())
        return SKIP
    expected = json.load(open(os.path.join(ref, "expected.json")))
    prefix = unshare_prefix()
    env = dict(os.environ, CLIP_MODEL_PATH=os.path.join(ref, "model"))
    work = tempfile.mkdtemp(prefix="reco_clip_offline_")
    try:
        # Images: the CSV list, the model from CLIP_MODEL_PATH (no --model).
        images_out = os.path.join(work, "images.jsonl")
        proc = subprocess.run(prefix + [reco, "embed-images", "--input",
                                        os.path.join(ref, "items.csv"), "--output", images_out,
                                        "--threads", "2", "--batch", "2"],
                              capture_output=True, text=True, env=env)
        if proc.returncode != 0:
            fail(f"embed-images exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
        vectors = read_lines(images_out)
        if sorted(vectors) != sorted(expected["files"]):
            fail(f"embed-images wrote items {sorted(vectors)}, expected {sorted(expected['files'])}")
        compared = 0
        for item, vector in vectors.items():
            norm = math.sqrt(sum(v * v for v in vector))
            if len(vector) != 16 or abs(norm - 1) > 1e-5:
                fail(f"{item}: {len(vector)} values of norm {norm}, expected 16 of norm 1")
            want = expected["files"][item]["normalized"]
            if want is not None:
                if not close(vector, want):
                    fail(f"{item}: {vector} differs from the reference {want}")
                compared += 1
        if compared != 2:
            fail(f"compared {compared} images with the reference, expected 2")

        # The same images from the folder itself give the same vectors.
        folder_out = os.path.join(work, "folder.jsonl")
        proc = subprocess.run(prefix + [reco, "embed-images", "--model", os.path.join(ref, "model"),
                                        "--input", os.path.join(ref, "images"), "--output",
                                        folder_out, "--quiet"],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            fail(f"embed-images on the folder exited {proc.returncode}:\n{proc.stderr}")
        folder = read_lines(folder_out)
        if sorted(folder) != sorted(vectors) or \
                any(not close(folder[k], vectors[k], 1e-6) for k in folder):
            fail("embedding the folder differs from embedding its CSV list")

        # Texts.
        texts_out = os.path.join(work, "texts.jsonl")
        proc = subprocess.run(prefix + [reco, "embed-text", "--input",
                                        os.path.join(ref, "texts.csv"), "--output", texts_out],
                              capture_output=True, text=True, env=env)
        if proc.returncode != 0:
            fail(f"embed-text exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
        texts = read_lines(texts_out)
        if len(texts) != len(expected["texts"]):
            fail(f"embed-text wrote {len(texts)} lines, expected {len(expected['texts'])}")
        for i, entry in enumerate(expected["texts"]):
            if not close(texts[f"t{i}"], entry["normalized"]):
                fail(f"text {entry['text']!r}: {texts[f't{i}']} differs from {entry['normalized']}")
        proc = subprocess.run(prefix + [reco, "embed-text", "--text", expected["texts"][0]["text"]],
                              capture_output=True, text=True, env=env)
        one = json.loads(proc.stdout) if proc.returncode == 0 else None
        if one is None or not close(one["embedding"], expected["texts"][0]["normalized"]):
            fail(f"embed-text --text: exit {proc.returncode}, {proc.stdout}{proc.stderr}")

        # A folder without its weights: the job fails naming the file; nothing is written.
        broken = os.path.join(work, "broken_model")
        shutil.copytree(os.path.join(ref, "model"), broken)
        os.remove(os.path.join(broken, "model.safetensors"))
        broken_out = os.path.join(work, "broken.jsonl")
        proc = subprocess.run(prefix + [reco, "embed-images", "--model", broken, "--input",
                                        os.path.join(ref, "items.csv"), "--output", broken_out],
                              capture_output=True, text=True)
        if proc.returncode == 0 or "missing model.safetensors" not in proc.stderr:
            fail(f"a folder without model.safetensors: exit {proc.returncode}, {proc.stderr}")
        if os.path.exists(broken_out) or any(n.startswith("broken.jsonl") for n in os.listdir(work)):
            fail("a failed job left an output file behind")
        print(f"offline ({' '.join(prefix)}): {len(vectors)} images and {len(texts)} texts "
              f"embedded, matching the reference; a missing weights file is named")
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print(__doc__)
        sys.exit(2)
    sys.exit(main(sys.argv[1], sys.argv[2]))
