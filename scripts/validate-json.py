#!/usr/bin/python3
"""Validate a virtprof JSON report against a JSON Schema (Debian's python3-jsonschema).
   scripts/validate-json.py SCHEMA FILE"""
import json
import sys

import jsonschema

if len(sys.argv) != 3:
    sys.exit("usage: validate-json.py SCHEMA FILE")
with open(sys.argv[1]) as f:
    schema = json.load(f)
with open(sys.argv[2]) as f:
    doc = json.load(f)
errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(doc), key=lambda e: list(e.path))
for e in errors[:20]:
    print("%s: %s" % ("/".join(str(p) for p in e.path) or "(root)", e.message))
sys.exit(1 if errors else 0)
