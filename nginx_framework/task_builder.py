"""Build the TaskInfo JSON of one nginx Docker task.

Shapes follow what a Mesos 1.12 master accepted in the recorded transcripts:
`command: {shell: false}` without a value, so the image's own CMD starts nginx.
"""

from __future__ import annotations

from typing import Any

DEFAULT_NGINX_PORT = 80


def build_task_info(
    task_id: str,
    agent_id: str,
    image: str,
    network: str,
    resources: list[dict[str, Any]],
    host_port: int | None,
    container_port: int = DEFAULT_NGINX_PORT,
) -> dict[str, Any]:
    docker: dict[str, Any] = {"image": image, "network": network}
    command: dict[str, Any] = {"shell": False}
    if network == "BRIDGE":
        listen_port = container_port
        if host_port is not None:
            docker["port_mappings"] = [{"host_port": host_port, "container_port": container_port, "protocol": "tcp"}]
    else:
        listen_port = host_port if host_port is not None else DEFAULT_NGINX_PORT
    # The image listens on 80 by default; tell it only when that must change.
    if listen_port != DEFAULT_NGINX_PORT:
        command["environment"] = {"variables": [{"name": "NGINX_PORT", "value": str(listen_port)}]}
    return {
        "name": task_id,
        "task_id": {"value": task_id},
        "agent_id": {"value": agent_id},
        "resources": resources,
        "container": {"type": "DOCKER", "docker": docker},
        "command": command,
    }
