#!/usr/bin/python
# -*- coding: utf-8 -*-
# Runs on the target: keep it Python 2.7 / 3.5 compatible (no f-strings).
"""Wait, bounded, until cloud-init is done and nobody holds the apt/dpkg locks."""

from __future__ import absolute_import, division, print_function

import fcntl
import os
import struct
import subprocess
import time

from ansible.module_utils.basic import AnsibleModule

__metaclass__ = type

DOCUMENTATION = r"""
module: apt_locks_wait
short_description: Wait until cloud-init has finished and no process holds the apt/dpkg locks
description:
  - Looks at each lock with F_GETLK, which reports the holder without taking the lock.
  - Fails after I(timeout) seconds, naming the process that still holds a lock.
options:
  timeout:
    description: Seconds to wait in all.
    type: int
    default: 300
  locks:
    description: Lock files to watch; missing files are ignored.
    type: list
    elements: str
    default: [/var/lib/dpkg/lock-frontend, /var/lib/dpkg/lock, /var/lib/apt/lists/lock, /var/cache/apt/archives/lock]
"""

RETURN = r"""
waited:
  description: Seconds spent waiting.
  type: float
  returned: always
"""

CLOUD_INIT = "/usr/bin/cloud-init"


def holder_of(path):
    """Return the pid holding a write lock on path, or None."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        # struct flock: l_type, l_whence, l_start, l_len, l_pid (Linux layout).
        request = struct.pack("hhqqi", fcntl.F_WRLCK, 0, 0, 0, 0)
        answer = fcntl.fcntl(fd, fcntl.F_GETLK, request)
        l_type, _, _, _, pid = struct.unpack("hhqqi", answer)
        return None if l_type == fcntl.F_UNLCK else pid
    finally:
        os.close(fd)


def describe(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as handle:
            command = handle.read().replace(b"\0", b" ").strip().decode("utf-8", "replace")
    except (IOError, OSError):
        command = "?"
    return "pid %d (%s)" % (pid, command)


def cloud_init_running():
    if not os.path.exists(CLOUD_INIT):
        return False
    try:
        output = subprocess.check_output([CLOUD_INIT, "status"], stderr=subprocess.STDOUT)
    except (subprocess.CalledProcessError, OSError) as exc:
        output = getattr(exc, "output", b"") or b""
    return b"status: running" in output


def main():
    module = AnsibleModule(
        argument_spec=dict(
            timeout=dict(type="int", default=300),
            locks=dict(
                type="list",
                elements="str",
                default=[
                    "/var/lib/dpkg/lock-frontend",
                    "/var/lib/dpkg/lock",
                    "/var/lib/apt/lists/lock",
                    "/var/cache/apt/archives/lock",
                ],
            ),
        ),
        supports_check_mode=True,
    )
    start = time.time()
    deadline = start + module.params["timeout"]
    while True:
        busy = []
        if cloud_init_running():
            busy.append("cloud-init is still running (`cloud-init status`)")
        for path in module.params["locks"]:
            pid = holder_of(path)
            if pid:
                busy.append("%s is held by %s" % (path, describe(pid)))
        if not busy:
            module.exit_json(changed=False, waited=round(time.time() - start, 1))
        if time.time() >= deadline:
            module.fail_json(
                msg="waited %d s for apt/dpkg to become free, in vain: %s. Let it finish, or stop it, and run again."
                % (module.params["timeout"], "; ".join(busy)),
                waited=round(time.time() - start, 1),
            )
        time.sleep(2)


if __name__ == "__main__":
    main()
