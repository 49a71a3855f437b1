"""A local, signed apt repository shaped like Docker's, for hosts that cannot
reach download.docker.com (this build environment, the lab).

Layout as on Docker's site: `linux/<vendor>/dists/<codename>/stable/...` with
pool files under `dists/<codename>/pool/stable/<arch>/`, Release signed
(InRelease and Release.gpg) by a throwaway key made for this repository. It
holds `docker-ce` (the distribution's own `docker.io`, renamed and given
Docker's version strings), and small `docker-ce-cli` and `containerd.io`
packages: the docker role installs them through exactly the code path it uses
against Docker's site; only the URL and the key differ.

    python -m tools.aptrepo build            # once per machine, cached
    python -m tools.aptrepo serve --network N --name NAME --group G
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from email.utils import formatdate
from pathlib import Path

from tools.hosts import LABEL

CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "mesos-docker-toolkit" / "docker-apt-repo"
SERVER_IMAGE = "toolkit/appbase:latest"


@dataclass(frozen=True)
class Target:
    vendor: str
    codename: str
    host_image: str
    versions: tuple[str, ...]  # docker-ce versions offered, oldest first
    arch: str = "amd64"


TARGETS = (
    Target(
        "ubuntu", "xenial", "toolkit/ubuntu1604:latest", ("5:20.10.6~3-0~ubuntu-xenial", "5:20.10.7~3-0~ubuntu-xenial")
    ),
    Target(
        "debian",
        "bookworm",
        "toolkit/debian12:latest",
        ("5:24.0.6-1~debian.12~bookworm", "5:24.0.7-1~debian.12~bookworm"),
    ),
)
CONTAINERD_VERSION = "1.6.28-1"

# Runs inside a host image of the target release: fetch that release's
# docker.io and rebuild it as docker-ce at each version; add the two small ones.
REPACK = r"""
set -eu
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
cd /tmp && apt-get download -qq docker.io
dpkg-deb -R docker.io_*.deb engine
for version in $VERSIONS; do
  python3 - "$version" <<'PY'
import re, sys
path = "engine/DEBIAN/control"
text = open(path).read()
text = re.sub(r"^(Conflicts|Breaks|Replaces|Provides):.*\n", "", text, flags=re.M)
text = re.sub(r"^Package:.*$", "Package: docker-ce", text, flags=re.M)
text = re.sub(r"^Version:.*$", "Version: " + sys.argv[1], text, flags=re.M)
text = re.sub(r"^Source:.*\n", "", text, flags=re.M)
text += "Conflicts: docker.io\nReplaces: docker.io\n"
open(path, "w").write(text)
PY
  dpkg-deb -Zgzip -z1 -b engine "/out/docker-ce_${version#*:}_${ARCH}.deb" >/dev/null
  mkdir -p cli/DEBIAN
  printf 'Package: docker-ce-cli\nVersion: %s\nArchitecture: %s\nMaintainer: toolkit tests <root@localhost>\nDescription: Docker CLI (test repository; the CLI ships in docker-ce)\n' "$version" "$ARCH" > cli/DEBIAN/control
  dpkg-deb -b cli "/out/docker-ce-cli_${version#*:}_${ARCH}.deb" >/dev/null
done
mkdir -p containerd/DEBIAN
printf 'Package: containerd.io\nVersion: %s\nArchitecture: %s\nDepends: containerd, runc\nMaintainer: toolkit tests <root@localhost>\nDescription: containerd (test repository; depends on the distribution packages)\n' "$CONTAINERD" "$ARCH" > containerd/DEBIAN/control
dpkg-deb -b containerd "/out/containerd.io_${CONTAINERD}_${ARCH}.deb" >/dev/null
chmod a+r /out/*.deb
"""


class RepoError(RuntimeError):
    """The repository could not be built or served; the text says why."""


def available_targets() -> list[Target]:
    """Targets whose host image exists; a missing one (archive unreachable) is left out, loudly."""
    found = []
    for target in TARGETS:
        if subprocess.run(["docker", "image", "inspect", target.host_image], capture_output=True).returncode == 0:
            found.append(target)
        else:
            print(f"aptrepo: SKIPPED {target.codename}: host image {target.host_image} is not built", flush=True)
    return found


def recipe_key(targets: list[Target]) -> str:
    digest = hashlib.sha256(REPACK.encode())
    digest.update(json.dumps([t.__dict__ for t in targets], sort_keys=True).encode())
    digest.update(CONTAINERD_VERSION.encode())
    return digest.hexdigest()[:16]


def run(command: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(command, capture_output=True, text=True, check=False, **kwargs)  # type: ignore[call-overload]
    if result.returncode != 0:
        raise RepoError(f"{' '.join(command[:3])} failed: {(result.stderr or result.stdout).strip()[-2000:]}")
    return result


def build_packages(target: Target, pool: Path) -> None:
    pool.mkdir(parents=True, exist_ok=True)
    run(
        [
            "docker", "run", "--rm", "--volume", f"{pool}:/out",
            "--env", f"VERSIONS={' '.join(target.versions)}", "--env", f"ARCH={target.arch}",
            "--env", f"CONTAINERD={CONTAINERD_VERSION}",
            target.host_image, "sh", "-c", REPACK,
        ]
    )  # fmt: skip


def packages_index(base: Path, pool: Path) -> str:
    """The Packages file: each .deb's control stanza plus where and what it is."""
    stanzas = []
    for deb in sorted(pool.glob("*.deb")):
        control = run(["dpkg-deb", "--field", str(deb)]).stdout.strip()
        data = deb.read_bytes()
        stanzas.append(
            f"{control}\nFilename: {deb.relative_to(base)}\nSize: {len(data)}\n"
            f"MD5sum: {hashlib.md5(data).hexdigest()}\nSHA256: {hashlib.sha256(data).hexdigest()}\n"
        )
    return "\n".join(stanzas)


def release_file(target: Target, dist: Path) -> str:
    lines = [
        "Origin: toolkit test repository",
        "Label: Docker CE (test double)",
        f"Suite: {target.codename}",
        f"Codename: {target.codename}",
        f"Architectures: {target.arch}",
        "Components: stable",
        f"Date: {formatdate(usegmt=True)}",
        "SHA256:",
    ]
    for path in sorted(p for p in dist.rglob("Packages*") if p.is_file()):
        data = path.read_bytes()
        lines.append(f" {hashlib.sha256(data).hexdigest()} {len(data)} {path.relative_to(dist)}")
    return "\n".join(lines) + "\n"


def make_key(gnupg: Path, out: Path) -> str:
    """A throwaway signing key; returns its fingerprint, writes the public key as key.asc."""
    gnupg.mkdir(mode=0o700)
    gpg = ["gpg", "--homedir", str(gnupg), "--batch", "--quiet", "--pinentry-mode", "loopback", "--passphrase", ""]
    run([*gpg, "--quick-gen-key", "toolkit test apt repository <root@localhost>", "rsa2048", "sign", "never"])
    listing = run([*gpg, "--with-colons", "--list-keys"]).stdout
    fingerprint = next(line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr:"))
    (out / "key.asc").write_text(run([*gpg, "--armor", "--export", fingerprint]).stdout)
    return fingerprint


def sign(gnupg: Path, dist: Path) -> None:
    gpg = [
        "gpg",
        "--homedir",
        str(gnupg),
        "--batch",
        "--quiet",
        "--yes",
        "--pinentry-mode",
        "loopback",
        "--passphrase",
        "",
    ]
    run([*gpg, "--clearsign", "--output", str(dist / "InRelease"), str(dist / "Release")])
    run([*gpg, "--armor", "--detach-sign", "--output", str(dist / "Release.gpg"), str(dist / "Release")])


def build() -> Path:
    """Build the repository once; later calls return the cached one."""
    targets = available_targets()
    final = CACHE / recipe_key(targets)
    if (final / "repo.json").exists():
        return final
    for tool in ("gpg", "dpkg-deb", "docker"):
        if shutil.which(tool) is None:
            raise RepoError(f"{tool} is needed to build the test apt repository; install it (make host-tools)")
    final.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="build-", dir=final.parent))
    try:
        fingerprint = make_key(work / "gnupg", work)
        for target in targets:
            base = work / "linux" / target.vendor
            dist = base / "dists" / target.codename
            pool = dist / "pool" / "stable" / target.arch
            print(f"aptrepo: packaging docker.io of {target.codename} as docker-ce", flush=True)
            build_packages(target, pool)
            index = packages_index(base, pool)
            binary = dist / "stable" / f"binary-{target.arch}"
            binary.mkdir(parents=True)
            (binary / "Packages").write_text(index)
            (binary / "Packages.gz").write_bytes(gzip.compress(index.encode()))
            (dist / "Release").write_text(release_file(target, dist))
            sign(work / "gnupg", dist)
        shutil.rmtree(work / "gnupg")
        (work / "repo.json").write_text(json.dumps({"fingerprint": fingerprint, "key": "key.asc"}) + "\n")
        work.rename(final)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return final


def serve(network: str, name: str, group: str) -> dict[str, str]:
    """Serve the repository over HTTP from a container on the hosts' network."""
    repo = build()
    running = subprocess.run(
        ["docker", "inspect", "--format", "{{.State.Running}}", name], capture_output=True, text=True
    )
    if running.stdout.strip() != "true":
        subprocess.run(["docker", "rm", "--force", name], capture_output=True, check=False)
        run(
            [
                "docker", "run", "--detach", "--name", name, "--network", network,
                "--label", f"{LABEL}={group}", "--volume", f"{repo}:/srv:ro",
                SERVER_IMAGE, "python3", "-m", "http.server", "80", "--directory", "/srv",
            ]
        )  # fmt: skip
    meta = json.loads((repo / "repo.json").read_text())
    return {
        "docker_repo_url_base": f"http://{name}/linux",
        "docker_repo_key_file": str(repo / meta["key"]),
        "docker_repo_key_fingerprint": meta["fingerprint"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.aptrepo", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("build", help="build the repository (cached)")
    serve_cmd = sub.add_parser("serve", help="serve it on a Docker network; prints the role variables as JSON")
    serve_cmd.add_argument("--network", required=True)
    serve_cmd.add_argument("--name", required=True, help="container name, also the host name in the repo URL")
    serve_cmd.add_argument("--group", required=True, help="label value, so `tools.hosts down` removes it")
    args = parser.parse_args(argv)
    try:
        if args.command == "build":
            print(f"aptrepo: {build()}")
        else:
            print(json.dumps(serve(args.network, args.name, args.group)))
    except RepoError as exc:
        print(f"aptrepo: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
