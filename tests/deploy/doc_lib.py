"""docs/DEPLOY.md's commands, tried: a test names the exact lines it runs,
checks that the document still has them verbatim, and runs them with the
system's paths moved into a scratch directory."""
import os
import subprocess

DEPLOY = os.path.join(os.environ["MALYAVA_SOURCE_ROOT"], "docs", "DEPLOY.md")


def in_deploy(check, lines):
    text = open(DEPLOY).read()
    for line in lines:
        check(line in text, f"docs/DEPLOY.md has the line the test runs: {line!r}")


def sh(script, cwd, env=None, moves=()):
    """Runs `script` with bash -e in `cwd` after each (old, new) of `moves`;
    returns the CompletedProcess."""
    for old, new in moves:
        script = script.replace(old, new)
    return subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, **(env or {})})
