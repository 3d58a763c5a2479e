#!/usr/bin/env python3
"""SECURITY.md's claims name real tests.

Every name in backquotes in the "backed by" column of the table under
"What is protected, and how" must be a test (of this build, or declared
in a meson.build for another, as valgrind's is only in unsanitized
builds), a test suite, or a script of the repository; and every row must
name at least one. scripts/test runs them all, so a named test that fails fails
the suite.
"""
import json
import os
import re
import sys

src, build = sys.argv[1], sys.argv[2]
with open(os.path.join(build, "meson-info", "intro-tests.json")) as f:
    tests = json.load(f)
names = {t["name"] for t in tests}
for d, _, files in os.walk(os.path.join(src, "tests")):
    if "meson.build" in files:
        names |= set(re.findall(r"^\s*test\('([^']+)'", open(os.path.join(d, "meson.build")).read(), re.M))
suites = {s.split(":", 1)[-1] for t in tests for s in t["suite"]}
text = open(os.path.join(src, "SECURITY.md")).read()
section = text.split("## What is protected, and how", 1)[1].split("\n## ", 1)[0]
rows = [line for line in section.splitlines() if line.startswith("| ") and not line.startswith("| claim")
        and not line.startswith("| ---")]
failed = 0
for row in rows:
    cells = [c.strip() for c in row.strip("|").split(" | ")]
    backed = re.findall(r"`([^`]+)`", cells[-1])
    if not backed:
        print(f"FAIL: no test named for: {cells[0]}", file=sys.stderr)
        failed += 1
    for name in backed:
        if name not in names and name not in suites and not os.path.exists(os.path.join(src, name)):
            print(f"FAIL: '{name}' (for: {cells[0]}) is not a test, a suite or a script", file=sys.stderr)
            failed += 1
print(f"{len(rows)} claims, {failed} problems", file=sys.stderr)
sys.exit(1 if failed or len(rows) < 10 else 0)
