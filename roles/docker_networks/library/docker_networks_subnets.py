#!/usr/bin/python
# -*- coding: utf-8 -*-
# Runs on the target: keep it Python 2.7 / 3.5 compatible (no f-strings).
"""Check requested network subnets against Docker's networks and the host's routes."""

from __future__ import absolute_import, division, print_function

import ipaddress
import socket
import struct

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.six import text_type

__metaclass__ = type

DOCUMENTATION = r"""
module: docker_networks_subnets
short_description: Find requested subnets that overlap Docker networks, host routes or each other
description:
  - Read-only. Parses each requested subnet, gateway and IP range, and compares the subnet with the subnets of the
    Docker networks given (other than one of the same name, which is the network itself) and with the host's
    IPv4 routes from /proc/net/route (the default route, and routes of Docker's own networks, are left out).
  - Returns the problems found as sentences; the caller decides how to fail.
options:
  requested:
    description: Networks to create, each with name, subnet and optional gateway and ip_range; a label names it in messages.
    type: list
    elements: dict
    required: true
  existing:
    description: Docker networks on the host, each with name and subnets (list of CIDR strings).
    type: list
    elements: dict
    default: []
  route_file:
    description: Where to read the IPv4 routing table.
    type: path
    default: /proc/net/route
"""

RETURN = r"""
problems:
  description: One sentence per problem; empty when all subnets are usable.
  type: list
  elements: str
  returned: always
routes:
  description: The host routes compared, as CIDR and interface.
  type: list
  elements: dict
  returned: always
"""


def host_routes(path):
    """IPv4 routes from /proc/net/route, without the default route."""
    routes = []
    try:
        with open(path) as table:
            lines = table.read().splitlines()[1:]
    except (IOError, OSError):
        return routes
    for line in lines:
        fields = line.split()
        if len(fields) < 8:
            continue
        iface, destination, mask = fields[0], fields[1], fields[7]
        # The kernel prints the addresses as host-order hex.
        dest_ip = socket.inet_ntoa(struct.pack("<L", int(destination, 16)))
        mask_ip = socket.inet_ntoa(struct.pack("<L", int(mask, 16)))
        if mask_ip == "0.0.0.0":
            continue
        network = ipaddress.ip_network(text_type("%s/%s" % (dest_ip, mask_ip)), strict=False)
        routes.append({"cidr": text_type(network), "iface": iface, "network": network})
    return routes


def parse(value):
    return ipaddress.ip_network(text_type(value), strict=False)


def check(requested, existing, routes):
    problems = []
    docker_nets = []
    for net in existing:
        for subnet in net.get("subnets") or []:
            try:
                docker_nets.append((net["name"], parse(subnet)))
            except ValueError:
                continue
    # Routes of Docker's own networks are reported as those networks.
    docker_cidrs = set(text_type(n) for _, n in docker_nets)
    other_routes = [r for r in routes if r["cidr"] not in docker_cidrs]
    wanted = []
    for item in requested:
        label = item.get("label") or item["name"]
        subnet_text = item.get("subnet") or ""
        if not subnet_text:
            continue
        try:
            subnet = ipaddress.ip_network(text_type(subnet_text))
        except ValueError:
            problems.append(
                "%s: subnet '%s' of network '%s' is not a network in CIDR notation with no host bits set "
                "(e.g. 10.30.0.0/24)" % (label, subnet_text, item["name"])
            )
            continue
        for key in ("gateway", "ip_range"):
            value = item.get(key) or ""
            if not value:
                continue
            try:
                inner = parse(value)
            except ValueError:
                problems.append("%s: %s '%s' of network '%s' is not an address" % (label, key, value, item["name"]))
                continue
            if inner.version != subnet.version or not (
                inner.network_address in subnet and inner.broadcast_address in subnet
            ):
                problems.append(
                    "%s: %s '%s' of network '%s' is not inside its subnet %s"
                    % (label, key, value, item["name"], subnet)
                )
        for name, other in docker_nets:
            if name != item["name"] and other.version == subnet.version and other.overlaps(subnet):
                problems.append(
                    "%s: subnet %s of network '%s' overlaps Docker network '%s' (%s)"
                    % (label, subnet, item["name"], name, other)
                )
        for route in other_routes:
            if subnet.version == 4 and route["network"].overlaps(subnet):
                problems.append(
                    "%s: subnet %s of network '%s' overlaps the host route %s dev %s"
                    % (label, subnet, item["name"], route["cidr"], route["iface"])
                )
        for name, other_label, other in wanted:
            if name != item["name"] and other.version == subnet.version and other.overlaps(subnet):
                problems.append(
                    "%s: subnet %s of network '%s' overlaps %s (%s) of network '%s'"
                    % (label, subnet, item["name"], other_label, other, name)
                )
        wanted.append((item["name"], label, subnet))
    return problems


def main():
    module = AnsibleModule(
        argument_spec=dict(
            requested=dict(type="list", elements="dict", required=True),
            existing=dict(type="list", elements="dict", default=[]),
            route_file=dict(type="path", default="/proc/net/route"),
        ),
        supports_check_mode=True,
    )
    routes = host_routes(module.params["route_file"])
    problems = check(module.params["requested"], module.params["existing"], routes)
    module.exit_json(
        changed=False,
        problems=problems,
        routes=[{"cidr": r["cidr"], "iface": r["iface"]} for r in routes],
    )


if __name__ == "__main__":
    main()
