"""The sandbox root filesystem and Docker image (see README.md here): `python -m sandbox.image build`."""

from pathlib import Path

IMAGE_DIR = Path(__file__).resolve().parent
BUILD_SCRIPT = IMAGE_DIR / "build.sh"
START_DOCKER_SCRIPT = IMAGE_DIR / "start_docker.sh"
