"""The docker role's defaults render Docker's documented apt source, offline.

Runs ansible-playbook on localhost with the role's defaults and vars and the
facts of each release forced, so no host and no network are involved.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROLE = Path(__file__).resolve().parents[2] / "roles" / "docker"
PLAYBOOK = f"""
- name: Render the docker role's source line
  hosts: localhost
  connection: local
  gather_facts: false
  vars_files:
    - {ROLE}/defaults/main.yml
    - {ROLE}/vars/main.yml
  tasks:
    - name: Print what the role would write
      ansible.builtin.debug:
        msg: "{{{{ {{'line': docker_source_line, 'packages': docker_package_specs}} | to_json }}}}"
"""
RELEASES = {
    # codename: (ansible_distribution, UBUNTU_CODENAME line in os-release or "")
    "xenial": ("Ubuntu", "UBUNTU_CODENAME=xenial"),
    "focal": ("Ubuntu", "UBUNTU_CODENAME=focal"),
    "jammy": ("Ubuntu", "UBUNTU_CODENAME=jammy"),
    "bookworm": ("Debian", ""),
}


def render(tmp_path: Path, codename: str, **overrides: object) -> dict[str, object]:
    distribution, os_release = RELEASES[codename]
    playbook = tmp_path / "render.yml"
    playbook.write_text(PLAYBOOK)
    extra = {
        "ansible_distribution": distribution,
        "ansible_distribution_release": codename,
        "ansible_architecture": "x86_64",
        "role_path": str(ROLE),
        "docker_os_release": {"content": base64.b64encode(os_release.encode()).decode()},
        **overrides,
    }
    (tmp_path / "extra.json").write_text(json.dumps(extra))
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "ansible-playbook"),
            "-i",
            "localhost,",
            str(playbook),
            "-e",
            f"@{tmp_path / 'extra.json'}",
        ],
        capture_output=True,
        text=True,
        check=True,
        env={"ANSIBLE_STDOUT_CALLBACK": "json", "PATH": str(Path(sys.executable).parent), "HOME": str(tmp_path)},
    )
    task = json.loads(result.stdout)["plays"][0]["tasks"][0]
    return json.loads(task["hosts"]["localhost"]["msg"])


@pytest.mark.parametrize("codename", sorted(RELEASES))
def test_default_source_line_is_dockers(tmp_path, codename):
    vendor = "debian" if codename == "bookworm" else "ubuntu"
    rendered = render(tmp_path, codename)
    assert rendered["line"] == (
        f"deb [arch=amd64 signed-by=/etc/apt/keyrings/docker.gpg] https://download.docker.com/linux/{vendor} {codename} stable"
    )
    assert rendered["packages"] == ["docker-ce", "docker-ce-cli", "containerd.io"]


def test_pinned_version_applies_to_engine_and_cli_only(tmp_path):
    rendered = render(tmp_path, "xenial", docker_version="5:20.10.7~3-0~ubuntu-xenial")
    assert rendered["packages"] == [
        "docker-ce=5:20.10.7~3-0~ubuntu-xenial",
        "docker-ce-cli=5:20.10.7~3-0~ubuntu-xenial",
        "containerd.io",
    ]


def test_derivative_uses_its_ubuntu_base(tmp_path):
    rendered = render(tmp_path, "jammy", ansible_distribution="Linux Mint", ansible_distribution_release="vera")
    assert rendered["line"].endswith("https://download.docker.com/linux/ubuntu jammy stable")
