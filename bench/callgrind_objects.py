#!/usr/bin/env python3
"""Instructions per request by shared object (and the top functions) from a callgrind dump.

    callgrind_objects.py CALLGRIND_OUT REQUESTS [--top N]

Counts each function's own instructions (Ir, callees excluded) and divides by REQUESTS, the
number of requests the load generator completed between `callgrind_control -i on` and
`callgrind_control -d`. Unlike CPU seconds, the count does not move with other load on the
machine, so two server configurations can be compared on a busy machine; it leaves out the
kernel and the cost of cache misses (docs/benchmarks.md, "gRPC: where the cost of a call goes").
"""
import argparse
import collections
import re


def parse(path):
    """(Ir by object, Ir by (object, function), total Ir) of a callgrind output file."""
    names = {"ob": {}, "fn": {}}
    by_object, by_function = collections.Counter(), collections.Counter()
    total = 0
    obj = fn = None
    skip_next = False  # the cost line after "calls=" is the callee's inclusive cost

    def name(kind, text):
        m = re.match(r"\((\d+)\)(?: (.*))?$", text)
        if not m:
            return text
        if m.group(2) is not None:
            names[kind][m.group(1)] = m.group(2)
        return names[kind].get(m.group(1), "?")

    with open(path, errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("ob="):
                obj = name("ob", line[3:])
            elif line.startswith("fn="):
                fn = name("fn", line[3:])
            elif line.startswith("cob="):
                name("ob", line[4:])
            elif line.startswith("cfn="):
                name("fn", line[4:])
            elif line.startswith("calls="):
                skip_next = True
            elif line and (line[0].isdigit() or line[0] in "+-*"):
                if skip_next:
                    skip_next = False
                    continue
                fields = line.split()
                if len(fields) >= 2:
                    cost = int(fields[1])
                    by_object[obj] += cost
                    by_function[(obj, fn)] += cost
                    total += cost
    return by_object, by_function, total


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("callgrind_out")
    p.add_argument("requests", type=int)
    p.add_argument("--top", type=int, default=0, help="also list the N costliest functions")
    a = p.parse_args()
    by_object, by_function, total = parse(a.callgrind_out)
    n = max(1, a.requests)
    print(f"{total / n / 1000:.1f}k instructions per request over {a.requests} requests")
    for obj, cost in by_object.most_common():
        if cost / n < 50:
            break
        print(f"  {cost / n / 1000:7.1f}k {100 * cost / max(1, total):5.1f}%  {obj.split('/')[-1]}")
    for (obj, fn), cost in by_function.most_common(a.top):
        print(f"  {cost / n / 1000:7.2f}k  {obj.split('/')[-1][:24]:24s} {fn[:140]}")


if __name__ == "__main__":
    main()
