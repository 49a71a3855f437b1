"""A Mesos framework that keeps N nginx Docker containers running.

It speaks the Mesos v1 scheduler HTTP API directly (pymesos does not install
on Python 3.11); see README.md in this directory for how to run it.
"""

__version__ = "0.1.0"
