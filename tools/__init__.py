"""Tooling around the playbooks: engine bootstrap, images, hosts, tests, provisioning."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def venv_path() -> str:
    """PATH with this interpreter's bin directory first, so ansible-* and molecule are found
    even when the venv was not activated (`.venv/bin/python -m ...`)."""
    bin_dir = str(Path(sys.executable).parent)
    return os.pathsep.join([bin_dir, os.environ.get("PATH", "")])
