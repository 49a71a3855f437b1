"""Serve the fake Mesos master on its own, for the mesos_framework scenario.

    python3 tests/framework/serve_fake_master.py [--port 5050] [--agents 2]

The framework role's molecule scenario runs this in a container on the hosts'
network (no Mesos package is reachable here): the framework, built and run by
the role, subscribes to it, gets its offers and launches its tasks, which
this master reports RUNNING the way a real one does. It serves until killed.
"""

from __future__ import annotations

import argparse
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(Path(__file__).parent)]

from fake_master import MASTER_ID, Agent, FakeMaster  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=5050)
    parser.add_argument("--agents", type=int, default=2, help="agents offering resources")
    args = parser.parse_args()
    agents = [Agent(f"{MASTER_ID}-S{index}", hostname=f"agent-{index}") for index in range(args.agents)]
    # A real master's heartbeat interval and a calm allocation pace.
    with FakeMaster(agents=agents, heartbeat_interval=15.0, allocation_interval=1.0, bind=("0.0.0.0", args.port)):
        print(f"fake Mesos master on port {args.port} with {args.agents} agents", flush=True)
        threading.Event().wait()


if __name__ == "__main__":
    main()
