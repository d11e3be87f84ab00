#!/usr/bin/env python3
"""Prints the README table from criterion's medians after `cargo bench -p policy --bench decisions`.

Usage: python3 policy/benches/table.py [TARGET_DIR]   (default: $CARGO_TARGET_DIR, else target)
"""
import json
import os
import sys

default = os.environ.get("CARGO_TARGET_DIR", "target")
root = os.path.join(sys.argv[1] if len(sys.argv) > 1 else default, "criterion")


def median_ns(*parts):
    path = os.path.join(root, *parts, "new", "estimates.json")
    with open(path) as f:
        return json.load(f)["median"]["point_estimate"]


def fmt(ns):
    if ns >= 1e6:
        return "%.2f ms" % (ns / 1e6)
    if ns >= 1e3:
        return "%.2f µs" % (ns / 1e3)
    return "%.0f ns" % ns


for group, title in (("decide", "exact actions"), ("decide_wildcard", "wildcard actions")):
    print("\n%s (%s)\n" % (group, title))
    print("| statements | Portcullis p50 | Cedar p50 | Portcullis decisions/s | Cedar decisions/s | ratio |")
    print("|---:|---:|---:|---:|---:|---:|")
    for n in ("10", "100", "1000", "10000"):
        ours = median_ns(group, "portcullis", n)
        cedar = median_ns(group, "cedar", n)
        print("| %s | %s | %s | %.0f | %.0f | %.0f× |" % (n, fmt(ours), fmt(cedar), 1e9 / ours, 1e9 / cedar, cedar / ours))

ours = median_ns("compile", "portcullis_1000")
cedar = median_ns("compile", "cedar_1000")
print("\ncompile 1,000 statements (parse + validate + index): Portcullis %s, Cedar %s" % (fmt(ours), fmt(cedar)))
