#!/usr/bin/env python3
"""Checks that the code's dependencies point downward only.

The layer order is written once, in docs/ARCHITECTURE.md, in the fenced block that follows the
line `<!-- layer order -->`: one layer per line, the top layer first; a line starts with the
folders of that layer (names under src/ ending in '/', peers separated by spaces), and anything
after them is description. A folder belongs to the layer of its longest listed prefix
(src/api/http/ to `api/http/` when listed, else to `api/`; src/x/testing/ to `x/`).

Checks, each failure printed as FILE:LINE: message:
  1. every `#include "dir/..."` in src/ names a header of the file's own layer or a lower one;
  2. every folder of src/ that holds code is covered by a listed layer;
  3. CMakeLists.txt files under src/ declare each library in one place: no `target_sources`, and
     `target_link_libraries` only for a target created in the same file (so no folder appends to
     another's library), and no `if(EXISTS ...)` that silently drops a target.

Usage: check_layers.py [REPO_ROOT]   (exit 0 when clean, 1 with the violations listed)
"""

import re
import sys
from pathlib import Path

MARKER = "<!-- layer order -->"
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
CODE_SUFFIXES = {".h", ".cc", ".cpp", ".hpp"}


def read_layers(architecture):
    """[(layer index, folder prefix)] from the block after MARKER, longest prefixes first."""
    lines = architecture.read_text(encoding="utf-8").splitlines()
    try:
        start = lines.index(MARKER)
    except ValueError:
        raise SystemExit(f"{architecture}: no line '{MARKER}' before the layer block")
    fence = start + 1
    while fence < len(lines) and not lines[fence].startswith("```"):
        fence += 1
    if fence == len(lines):
        raise SystemExit(f"{architecture}:{start + 1}: no fenced block after '{MARKER}'")
    prefixes = []
    layer = 0
    for number in range(fence + 1, len(lines)):
        line = lines[number]
        if line.startswith("```"):
            break
        folders = []
        for token in line.split():
            if not token.endswith("/"):
                break
            folders.append(token)
        if not folders:
            if line.strip():
                raise SystemExit(f"{architecture}:{number + 1}: a layer line starts with its "
                                 f"folders (ending in '/'): {line.strip()!r}")
            continue
        prefixes.extend((layer, folder) for folder in folders)
        layer += 1
    if not prefixes:
        raise SystemExit(f"{architecture}:{fence + 1}: the layer block is empty")
    prefixes.sort(key=lambda p: -len(p[1]))
    return prefixes


def layer_of(relative, prefixes):
    """(layer index, folder) of a path relative to src/, or None when no layer covers it."""
    for index, folder in prefixes:
        if relative.startswith(folder):
            return index, folder
    return None


def check_includes(src, prefixes, problems):
    for path in sorted(src.rglob("*")):
        if path.suffix not in CODE_SUFFIXES or not path.is_file():
            continue
        relative = path.relative_to(src).as_posix()
        own = layer_of(relative, prefixes)
        if own is None:
            problems.append(f"{path}:1: src/{relative.rsplit('/', 1)[0]}/ is in no layer of "
                            "docs/ARCHITECTURE.md")
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            match = INCLUDE.match(line)
            if not match or "/" not in match.group(1):
                continue
            target = layer_of(match.group(1), prefixes)
            if target is None or not (src / match.group(1)).exists():
                continue  # a third-party header with a path, or a generated one
            if target[0] < own[0]:
                problems.append(f"{path}:{number}: {own[1]} includes {match.group(1)}, a header "
                                f"of the higher layer {target[1]}")


def check_cmake(src, problems):
    created = re.compile(r"(?:reco_cc_library|reco_cc_test|reco_cc_benchmark)\s*\(\s*NAME\s+(\S+)"
                         r"|add_(?:library|executable)\s*\(\s*(\S+)")
    for path in sorted(src.rglob("CMakeLists.txt")):
        text = path.read_text(encoding="utf-8")
        targets = set()
        for match in created.finditer(text):
            name = match.group(1) or match.group(2)
            targets.add(name)
            if match.group(1) and "reco_cc_library" in match.group(0):
                targets.add("reco_" + name)
        for number, line in enumerate(text.splitlines(), 1):
            stripped = line.strip()
            if stripped.startswith("target_sources"):
                problems.append(f"{path}:{number}: target_sources: list a library's sources "
                                "where it is declared")
            match = re.match(r"target_link_libraries\s*\(\s*(\S+)", stripped)
            if match and match.group(1) not in targets:
                problems.append(f"{path}:{number}: target_link_libraries on {match.group(1)}, "
                                "which this file does not create")
            if re.match(r"if\s*\(\s*(NOT\s+)?EXISTS", stripped):
                problems.append(f"{path}:{number}: a target must not depend on whether a source "
                                "file exists")


def main():
    root = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent)
    src = root / "src"
    prefixes = read_layers(root / "docs" / "ARCHITECTURE.md")
    problems = []
    check_includes(src, prefixes, problems)
    check_cmake(src, problems)
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} layering problem(s); the layer order is in docs/ARCHITECTURE.md")
        return 1
    layers = len({index for index, _ in prefixes})
    print(f"layering: every include and library of src/ respects the {layers} layers")
    return 0


if __name__ == "__main__":
    sys.exit(main())
