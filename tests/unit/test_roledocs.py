"""defaults, argument spec and README cannot drift apart unnoticed."""

from __future__ import annotations

import shutil
from pathlib import Path

from tools import roledocs

ROLES = Path(roledocs.ROLES_DIR)


def copy_role(tmp_path: Path, name: str = "preflight") -> Path:
    target = tmp_path / name
    shutil.copytree(ROLES / name, target)
    return target


def test_every_role_in_the_tree_is_consistent():
    roles = [p for p in ROLES.iterdir() if (p / "meta/argument_specs.yml").exists()]
    assert roles, "no roles found"
    assert [line for role in roles for line in roledocs.problems(role)] == []


def test_undocumented_default_is_reported(tmp_path):
    role = copy_role(tmp_path)
    with (role / "defaults/main.yml").open("a") as handle:
        handle.write("# An extra knob.\npreflight_extra: 1\n")
    assert "preflight: preflight_extra is in defaults/main.yml but not in meta/argument_specs.yml" in roledocs.problems(
        role
    )


def test_stale_readme_is_reported_and_rewritten(tmp_path):
    role = copy_role(tmp_path)
    readme = role / "README.md"
    readme.write_text(readme.read_text().replace("| `preflight_lock_timeout`", "| `preflight_lock_timeout_old`"))
    assert any("out of date" in line for line in roledocs.problems(role))
    roledocs.write(role)
    assert roledocs.problems(role) == []
