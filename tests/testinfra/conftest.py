"""Helpers for the testinfra modules that molecule's verifier runs.

Besides inspecting hosts, these tests run a role again with bad input and
assert the failure message, through ansible-playbook against the scenario's
own inventory, so the message checked is the one a user would read.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

PLAYBOOK = """\
- name: Run {role} with test input
  hosts: {hosts}
  gather_facts: true
  # The roles need distribution, architecture, Python and service manager facts: all in "min".
  gather_subset: [min]
  tasks:
    - name: Include {role}
      ansible.builtin.include_role:
        name: {role}
"""


@dataclass
class RoleRun:
    rc: int
    output: str

    def failed_with(self, text: str) -> bool:
        # The yaml callback folds long messages; compare with whitespace collapsed.
        return self.rc != 0 and " ".join(text.split()) in " ".join(self.output.split())


def run_role(hosts: str, role: str, extra_vars: dict[str, object], timeout: int = 600) -> RoleRun:
    """Run one role on the scenario's hosts with extra vars (highest precedence)."""
    inventory = os.environ["MOLECULE_INVENTORY_FILE"]
    with tempfile.TemporaryDirectory(prefix="toolkit-role-run-") as tmp:
        playbook = Path(tmp) / "run.yml"
        playbook.write_text(PLAYBOOK.format(role=role, hosts=hosts))
        variables = Path(tmp) / "vars.json"
        variables.write_text(json.dumps(extra_vars))
        env = dict(os.environ, ANSIBLE_STDOUT_CALLBACK="default", ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
        result = subprocess.run(
            ["ansible-playbook", "-i", inventory, str(playbook), "-e", f"@{variables}"],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            check=False,
        )
    return RoleRun(result.returncode, result.stdout + result.stderr)


@pytest.fixture(scope="session")
def role_run():
    return run_role


@pytest.fixture(scope="session")
def instances() -> list[str]:
    """The scenario's instance names, from molecule's inventory."""
    listing = subprocess.run(
        ["ansible-inventory", "-i", os.environ["MOLECULE_INVENTORY_FILE"], "--list"],
        capture_output=True,
        text=True,
        check=True,
    )
    return sorted(json.loads(listing.stdout)["_meta"]["hostvars"])


@pytest.fixture()
def name_on_loopback(host):
    """Map the host's name to 127.0.1.1 as Ubuntu's installer does (it makes Mesos
    and swarm advertise a loopback address); /etc/hosts is a bind mount in a
    container, so it is rewritten in place and restored afterwards."""
    name = host.backend.get_hostname()
    host.run_test(
        "cp /etc/hosts /tmp/hosts.orig && { printf '127.0.1.1 %%s\\n' %s; cat /tmp/hosts.orig; } > /etc/hosts", name
    )
    yield name
    host.run_test("cat /tmp/hosts.orig > /etc/hosts")
