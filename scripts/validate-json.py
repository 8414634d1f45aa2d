#!/usr/bin/python3
"""Validate a virtprof JSON report against a JSON Schema (Debian's python3-jsonschema).
   scripts/validate-json.py [--all-named] SCHEMA FILE

   --all-named: also every member of FILE must be named by the schema where it stands (a
   session's report/schema.h scope: not inside a step's load, virtprof-load/1, nor in the rows
   of its I/O tables), so a member the writer adds without describing it fails."""
import json
import sys

import jsonschema

args = sys.argv[1:]
all_named = "--all-named" in args
args = [a for a in args if a != "--all-named"]
if len(args) != 2:
    sys.exit("usage: validate-json.py [--all-named] SCHEMA FILE")
with open(args[0]) as f:
    schema = json.load(f)
with open(args[1]) as f:
    doc = json.load(f)
errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(doc), key=lambda e: list(e.path))
for e in errors[:20]:
    print("%s: %s" % ("/".join(str(p) for p in e.path) or "(root)", e.message))

OPEN = {("steps", "[]", "load"), ("steps", "[]", "io")}
JTYPE = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}


def resolve(node, value):
    """The subschema that describes value: $ref followed, the oneOf/anyOf branch of its type."""
    for _ in range(16):
        if "$ref" in node:
            node = schema["definitions"][node["$ref"].rsplit("/", 1)[-1]]
            continue
        branches = node.get("oneOf") or node.get("anyOf")
        if not branches:
            return node
        want = JTYPE.get(type(value), "number")
        fit = [b for b in branches if want in (lambda t: t if isinstance(t, list) else [t])(
            resolve(b, value).get("type", want))]
        node = fit[0] if fit else branches[0]
    return node


unnamed = []


def companion(props, k):
    """A table's "<table>_notes" or "<table>_decimals" beside a table the schema names."""
    for sfx in ("_notes", "_decimals"):
        if k.endswith(sfx) and k[: -len(sfx)] in props:
            return True
    return False


def names(node, value, path):
    if tuple(path[-3:]) in OPEN and len(path) == 3:
        return
    node = resolve(node, value)
    if isinstance(value, dict):
        props = node.get("properties")
        for k, v in value.items():
            if props is not None and k in props:
                names(props[k], v, path + [k])
            elif props is not None and not companion(props, k):
                unnamed.append("/".join(path + [k]))
            elif isinstance(node.get("additionalProperties"), dict):
                names(node["additionalProperties"], v, path + [k])
    elif isinstance(value, list) and isinstance(node.get("items"), dict):
        for v in value:
            names(node["items"], v, path + ["[]"])


if all_named:
    names(schema, doc, [])
    for p in sorted(set(unnamed))[:20]:
        print("%s: not named in the schema" % p)
sys.exit(1 if errors or unnamed else 0)
