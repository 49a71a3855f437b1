"""Build the host and base images with debootstrap + `docker import`.

No registry is reachable from the test machines, so every image starts from
the distribution archive, with its Release signature checked by debootstrap.
Each image carries the hash of its recipe as a label and is rebuilt only when
that hash changes. When an archive does not answer, that image is reported
unavailable and the others still build.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

from tools.images.recipes import KEYRINGS, Recipe

CACHE_DIR = Path(__file__).resolve().parents[2] / ".cache" / "images"
STATUS_FILE = CACHE_DIR / "status.json"
LABEL = "toolkit.recipe"
REACH_TIMEOUT_S = 20

# Units that only make sense on a machine with hardware and a console, or that
# would take the dpkg lock behind our back in the middle of a test.
MASKED_UNITS = (
    "apt-daily.timer",
    "apt-daily-upgrade.timer",
    "getty@tty1.service",
    "systemd-timesyncd.service",
    "systemd-udevd.service",
    "systemd-udevd-control.socket",
    "systemd-udevd-kernel.socket",
)


@dataclass
class Outcome:
    name: str
    state: str  # "cached", "built" or "unavailable"
    detail: str = ""
    seconds: float = 0.0


class BuildError(RuntimeError):
    """The image could not be built for a reason the user must fix."""


def recipe_key(recipe: Recipe) -> str:
    """A short hash of everything that shapes the image."""
    digest = hashlib.sha256()
    digest.update(json.dumps(asdict(recipe), sort_keys=True).encode())
    digest.update(json.dumps(MASKED_UNITS).encode())
    if recipe.keyring:
        digest.update((KEYRINGS / recipe.keyring).read_bytes())
    return digest.hexdigest()[:16]


def image_label(image: str) -> str | None:
    result = subprocess.run(
        ["docker", "image", "inspect", "--format", "{{json .Config.Labels}}", image],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        return None
    labels = json.loads(result.stdout or "null") or {}
    return labels.get(LABEL)


def archive_answers(recipe: Recipe) -> str | None:
    """Return None when the archive serves the suite's Release file, else why not."""
    url = f"{recipe.mirror}/dists/{recipe.suite}/Release"
    try:
        with urllib.request.urlopen(url, timeout=REACH_TIMEOUT_S) as response:
            response.read(1)
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        return f"{url} did not answer ({exc})"
    return None


def verified_keyring(recipe: Recipe, workdir: Path) -> Path | None:
    """Export only the expected keys from the vendored keyring, after checking them."""
    if recipe.keyring is None:
        return None
    home = workdir / "gnupg"
    home.mkdir(mode=0o700)
    gpg = ["gpg", "--homedir", str(home), "--batch", "--quiet"]
    subprocess.run([*gpg, "--import", str(KEYRINGS / recipe.keyring)], check=True, capture_output=True)
    listing = subprocess.run([*gpg, "--with-colons", "--list-keys"], check=True, capture_output=True, text=True)
    found = {line.split(":")[9] for line in listing.stdout.splitlines() if line.startswith("fpr:")}
    missing = [fpr for fpr in recipe.fingerprints if fpr not in found]
    if missing:
        raise BuildError(f"{recipe.keyring} lacks the expected signing key(s) {', '.join(missing)}")
    keyring = workdir / "archive-keyring.gpg"
    subprocess.run([*gpg, "--output", str(keyring), "--export", *recipe.fingerprints], check=True)
    return keyring


def debootstrap(recipe: Recipe, rootfs: Path, keyring: Path | None) -> None:
    command = [
        "debootstrap",
        "--variant=minbase",
        f"--include={','.join(recipe.packages)}",
        f"--components={','.join(recipe.components)}",
    ]
    if keyring:
        command.append(f"--keyring={keyring}")
    command += [recipe.suite, str(rootfs), recipe.mirror]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).splitlines()[-15:])
        raise BuildError(f"debootstrap of {recipe.name} failed:\n{tail}")


def finish_rootfs(recipe: Recipe, rootfs: Path) -> None:
    """Make the tree boot cleanly as a container and keep it small."""
    (rootfs / "etc/apt/sources.list").write_text("\n".join(recipe.sources) + "\n")
    # systemd writes a fresh machine id at first boot when the file is empty.
    (rootfs / "etc/machine-id").write_text("")
    for path in rootfs.glob("var/cache/apt/archives/*.deb"):
        path.unlink()  # debootstrap's own, already installed
    if recipe.cached_packages:
        download_into_cache(recipe, rootfs)
    for pattern in ("var/lib/apt/lists/*_*", "var/cache/apt/*.bin"):
        for path in rootfs.glob(pattern):
            path.unlink()
    if recipe.host:
        for unit in MASKED_UNITS:
            link = rootfs / "etc/systemd/system" / unit
            link.unlink(missing_ok=True)
            link.symlink_to("/dev/null")


def download_into_cache(recipe: Recipe, rootfs: Path) -> None:
    shutil.copy("/etc/resolv.conf", rootfs / "etc/resolv.conf")
    for command in (
        ["apt-get", "update", "-qq"],
        ["apt-get", "install", "--download-only", "--yes", "-qq", *recipe.cached_packages],
    ):
        result = subprocess.run(["chroot", str(rootfs), *command], capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise BuildError(f"{recipe.name}: {' '.join(command)} failed in the image: {result.stderr.strip()[-1500:]}")


def docker_import(recipe: Recipe, rootfs: Path, key: str) -> None:
    command = "/sbin/init" if recipe.host else "/bin/bash"
    tar = subprocess.Popen(["tar", "-C", str(rootfs), "--numeric-owner", "-c", "."], stdout=subprocess.PIPE)
    imported = subprocess.run(
        [
            "docker",
            "import",
            "--change",
            f"LABEL {LABEL}={key}",
            "--change",
            f'CMD ["{command}"]',
            "-",
            recipe.image,
        ],
        stdin=tar.stdout,
        capture_output=True,
        text=True,
        check=False,
    )
    tar.wait()
    if imported.returncode != 0 or tar.returncode != 0:
        raise BuildError(f"docker import of {recipe.image} failed: {imported.stderr.strip()}")


def archive_path(recipe: Recipe) -> Path:
    return CACHE_DIR / f"{recipe.name}.tar"


def save_archive(recipe: Recipe, key: str) -> None:
    """Base images travel to the hosts as `docker save` archives; keep one per key."""
    path = archive_path(recipe)
    path.parent.mkdir(parents=True, exist_ok=True)
    stamp = path.with_suffix(".key")
    if path.exists() and stamp.exists() and stamp.read_text() == key:
        return
    subprocess.run(["docker", "save", "--output", str(path), recipe.image], check=True)
    stamp.write_text(key)


def build(recipe: Recipe, force: bool = False) -> Outcome:
    start = time.monotonic()
    key = recipe_key(recipe)
    if not force and image_label(recipe.image) == key:
        if not recipe.host:
            save_archive(recipe, key)
        return Outcome(recipe.name, "cached")
    why_not = archive_answers(recipe)
    if why_not:
        return Outcome(recipe.name, "unavailable", why_not)
    with tempfile.TemporaryDirectory(prefix=f"toolkit-{recipe.name}-", dir="/var/tmp") as tmp:
        workdir = Path(tmp)
        rootfs = workdir / "rootfs"
        debootstrap(recipe, rootfs, verified_keyring(recipe, workdir))
        finish_rootfs(recipe, rootfs)
        docker_import(recipe, rootfs, key)
    if not recipe.host:
        save_archive(recipe, key)
    return Outcome(recipe.name, "built", seconds=time.monotonic() - start)


def write_status(outcomes: list[Outcome]) -> None:
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    previous = read_status()
    previous.update({o.name: asdict(o) for o in outcomes})
    STATUS_FILE.write_text(json.dumps(previous, indent=2) + "\n")


def read_status() -> dict[str, dict[str, object]]:
    try:
        return json.loads(STATUS_FILE.read_text())
    except (OSError, ValueError):
        return {}


def require_tools() -> None:
    missing = [tool for tool in ("debootstrap", "gpg", "docker", "tar") if shutil.which(tool) is None]
    if missing:
        raise BuildError(
            f"missing {', '.join(missing)}: install them (`apt-get install debootstrap gnupg`) "
            "or run `make images`, which does"
        )
