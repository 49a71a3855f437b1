"""What each locally built image holds: one recipe per image, data only.

A recipe's content decides its cache key, so editing a line here rebuilds
that image (and only that one) on the next `python -m tools.images build`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

KEYRINGS = Path(__file__).parent / "keyrings"

# Ubuntu Archive Automatic Signing Keys: 2012 (signs xenial) and 2018.
UBUNTU_ARCHIVE_FINGERPRINTS = (
    "790BC7277767219C42C86F933B4FE6ACC0B21F32",
    "F6ECB3762474EDA9D21B7022871920D1991BC93C",
)
UBUNTU_MIRROR = "http://archive.ubuntu.com/ubuntu"
DEBIAN_MIRROR = "http://deb.debian.org/debian"

# What Ansible and the roles need on every host: systemd as PID 1, Python
# with apt bindings, and the tools the manual procedure used.
HOST_PACKAGES = (
    "systemd",
    "systemd-sysv",
    "dbus",
    "python3",
    "python3-apt",
    "sudo",
    "ca-certificates",
    "iproute2",
    "curl",
    "gnupg",
    "procps",
)


@dataclass(frozen=True)
class Recipe:
    """How to debootstrap one image and what to write into it afterwards."""

    name: str  # also the image tag: toolkit/<name>:latest
    suite: str
    mirror: str
    packages: tuple[str, ...]
    sources: tuple[str, ...]  # lines of /etc/apt/sources.list in the image
    keyring: str | None = None  # file under keyrings/, None = debootstrap's default
    fingerprints: tuple[str, ...] = ()  # keys that must be in that keyring
    components: tuple[str, ...] = ("main",)
    host: bool = True  # a systemd host (CMD /sbin/init) or a plain base image
    # Downloaded into apt's cache, not installed: the roles install them as on
    # any host, but the tests do not fetch them again for every scenario.
    cached_packages: tuple[str, ...] = ()

    @property
    def image(self) -> str:
        return f"toolkit/{self.name}:latest"


RECIPES: dict[str, Recipe] = {
    "debian12": Recipe(
        name="debian12",
        suite="bookworm",
        mirror=DEBIAN_MIRROR,
        packages=HOST_PACKAGES,
        sources=(
            f"deb {DEBIAN_MIRROR} bookworm main",
            f"deb {DEBIAN_MIRROR} bookworm-updates main",
            "deb http://deb.debian.org/debian-security bookworm-security main",
        ),
        cached_packages=("docker.io", "python3-docker", "python3-requests", "zookeeperd"),
    ),
    "ubuntu1604": Recipe(
        name="ubuntu1604",
        suite="xenial",
        mirror=UBUNTU_MIRROR,
        packages=(*HOST_PACKAGES, "apt-transport-https"),
        sources=(
            f"deb {UBUNTU_MIRROR} xenial main universe",
            f"deb {UBUNTU_MIRROR} xenial-updates main universe",
            f"deb {UBUNTU_MIRROR} xenial-security main universe",
        ),
        keyring="ubuntu-archive-keyring.gpg",
        cached_packages=("docker.io", "python3-pip", "zookeeperd"),
        fingerprints=UBUNTU_ARCHIVE_FINGERPRINTS,
        components=("main", "universe"),
    ),
    # The base image the hosts build application images from (nginx, the
    # framework), loaded from an archive because no registry is reachable.
    "appbase": Recipe(
        name="appbase",
        suite="bookworm",
        mirror=DEBIAN_MIRROR,
        packages=("nginx-light", "python3", "python3-venv", "ca-certificates"),
        sources=(f"deb {DEBIAN_MIRROR} bookworm main",),
        host=False,
    ),
}
