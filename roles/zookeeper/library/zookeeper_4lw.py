#!/usr/bin/python
# -*- coding: utf-8 -*-
# Runs on the target: keep it Python 3.5 compatible (Ubuntu 16.04), no f-strings.
"""Ask a ZooKeeper server a four-letter word over its client port."""

from __future__ import absolute_import, division, print_function

import re
import socket

from ansible.module_utils.basic import AnsibleModule

DOCUMENTATION = r"""
module: zookeeper_4lw
short_description: Send a four-letter word (srvr, ruok, stat, mntr) to a ZooKeeper server
description:
  - Opens the client port, sends the word and returns the answer; never changes anything.
  - For C(srvr) and C(stat), also returns the server's Mode (leader, follower, standalone) when it serves.
options:
  host:
    description: Address of the server.
    type: str
    default: 127.0.0.1
  port:
    description: Client port.
    type: int
    default: 2181
  command:
    description: The four-letter word.
    type: str
    default: srvr
  timeout:
    description: Seconds to wait for the connection and the answer.
    type: float
    default: 5
"""

RETURN = r"""
output:
  description: The server's answer, empty when it did not answer.
  type: str
  returned: always
mode:
  description: Mode line of srvr/stat (leader, follower, standalone, observer), empty when none.
  type: str
  returned: always
error:
  description: Why nothing was read (connection refused, timeout), empty on success.
  type: str
  returned: always
"""

MODE = re.compile(r"^Mode:\s*(\S+)", re.MULTILINE)


def ask(host, port, command, timeout):
    """Return the server's whole answer to one four-letter word."""
    chunks = []
    conn = socket.create_connection((host, port), timeout=timeout)
    try:
        conn.sendall(command.encode("ascii"))
        while True:
            data = conn.recv(4096)
            if not data:
                break
            chunks.append(data)
    finally:
        conn.close()
    return b"".join(chunks).decode("utf-8", "replace")


def main():
    module = AnsibleModule(
        argument_spec=dict(
            host=dict(type="str", default="127.0.0.1"),
            port=dict(type="int", default=2181),
            command=dict(type="str", default="srvr"),
            timeout=dict(type="float", default=5.0),
        ),
        supports_check_mode=True,
    )
    word = module.params["command"]
    if not re.match(r"^[a-z]{4}$", word):
        module.fail_json(msg="command must be a four-letter word such as srvr, ruok, stat or mntr; got %r" % word)
    output, error = "", ""
    try:
        output = ask(module.params["host"], module.params["port"], word, module.params["timeout"])
    except (OSError, socket.timeout) as exc:
        error = "%s:%s: %s" % (module.params["host"], module.params["port"], exc)
    found = MODE.search(output)
    module.exit_json(changed=False, output=output, mode=found.group(1) if found else "", error=error)


if __name__ == "__main__":
    main()
