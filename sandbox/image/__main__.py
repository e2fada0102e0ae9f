"""`python -m sandbox.image {build,start-docker}`: run the shell scripts next to this file (root needed)."""

from __future__ import annotations

import argparse
import subprocess
import sys

from sandbox.image import BUILD_SCRIPT, START_DOCKER_SCRIPT

SCRIPTS = {"build": BUILD_SCRIPT, "start-docker": START_DOCKER_SCRIPT}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox.image", description=__doc__)
    parser.add_argument("command", choices=sorted(SCRIPTS), help="build: rootfs + image; start-docker: engine")
    args = parser.parse_args(argv)
    return subprocess.call(["bash", str(SCRIPTS[args.command])])


if __name__ == "__main__":
    sys.exit(main())
