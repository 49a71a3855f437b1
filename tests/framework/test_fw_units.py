"""Unit tests: backoff, RecordIO, master URLs, TaskInfo JSON, offer matching, update classes."""

from __future__ import annotations

import dataclasses
import json
from itertools import count
from typing import Any

import pytest
from fake_master import NO_DOCKER, PULL_FAILURE, Agent, offer_body

from nginx_framework.backoff import Backoff, delay_for
from nginx_framework.master_url import parse_master
from nginx_framework.options import OPTIONS
from nginx_framework.placement import Demand, place
from nginx_framework.recordio import RecordIODecoder, RecordIOError, encode
from nginx_framework.resources import OfferResources
from nginx_framework.settings import Settings
from nginx_framework.task_builder import build_task_info
from nginx_framework.task_states import describe, is_unknown_to_master, lacks_docker

CPU = {"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.1}}
MEM = {"name": "mem", "type": "SCALAR", "scalar": {"value": 64}}


def test_backoff_doubles_and_is_bounded() -> None:
    assert [delay_for(n, 1.0, 10.0) for n in range(0, 7)] == [0.0, 1.0, 2.0, 4.0, 8.0, 10.0, 10.0]
    assert delay_for(10_000, 1.0, 30.0) == 30.0
    backoff = Backoff(0.5, 3.0)
    assert [backoff.next_delay() for _ in range(4)] == [0.5, 1.0, 2.0, 3.0]
    backoff.reset()
    assert backoff.next_delay() == 0.5


def test_recordio_splits_records_across_arbitrary_chunks() -> None:
    records = [b'{"type":"HEARTBEAT"}', b"", "é".encode() * 300]
    stream = b"".join(encode(r) for r in records)
    decoder = RecordIODecoder()
    out: list[bytes] = []
    for i in range(0, len(stream), 7):
        out.extend(decoder.feed(stream[i : i + 7]))
    assert out == records


@pytest.mark.parametrize("garbage", [b"abc\n", b"1" * 30])
def test_recordio_rejects_garbage(garbage: bytes) -> None:
    with pytest.raises(RecordIOError):
        RecordIODecoder().feed(garbage)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("zk://10.0.0.1:2181,10.0.0.2:2181/mesos", ("10.0.0.1:2181,10.0.0.2:2181", "/mesos", None)),
        ("master1:5050", (None, None, "http://master1:5050")),
        ("http://master1:5050", (None, None, "http://master1:5050")),
        ("https://master1", (None, None, "https://master1:5050")),
        ("http://[::1]:5050/", (None, None, "http://[::1]:5050")),
    ],
)
def test_parse_master_accepts(value: str, expected: tuple[Any, ...]) -> None:
    spec = parse_master(value)
    assert (spec.zk_hosts, spec.zk_path, spec.url) == expected


@pytest.mark.parametrize(
    "value", ["master1", "master1:notaport", "master1:70000", "zk://h:2181", "zk://h/mesos", "ftp://h:21", "a b:5050"]
)
def test_parse_master_rejects(value: str) -> None:
    with pytest.raises(ValueError):
        parse_master(value)


def test_host_task_without_port_matches_transcript_shape() -> None:
    info = build_task_info("t1", "S0", "basic-nginx", "HOST", [CPU, MEM], None)
    assert info == {
        "name": "t1",
        "task_id": {"value": "t1"},
        "agent_id": {"value": "S0"},
        "resources": [CPU, MEM],
        "container": {"type": "DOCKER", "docker": {"image": "basic-nginx", "network": "HOST"}},
        "command": {"shell": False},
    }


def test_host_task_with_offer_port_passes_it_as_nginx_port() -> None:
    info = build_task_info("t1", "S0", "img", "HOST", [CPU, MEM], 31005)
    assert "port_mappings" not in info["container"]["docker"]
    assert info["command"] == {
        "shell": False,
        "environment": {"variables": [{"name": "NGINX_PORT", "value": "31005"}]},
    }
    assert "value" not in info["command"]


def test_bridge_task_with_port_maps_host_port_to_container_80() -> None:
    info = build_task_info("t1", "S0", "img", "BRIDGE", [CPU, MEM], 31000)
    assert info["container"]["docker"] == {
        "image": "img",
        "network": "BRIDGE",
        "port_mappings": [{"host_port": 31000, "container_port": 80, "protocol": "tcp"}],
    }
    assert info["command"] == {"shell": False}


def test_bridge_task_without_port_has_no_mapping_and_custom_container_port_is_told() -> None:
    info = build_task_info("t1", "S0", "img", "BRIDGE", [CPU, MEM], None, container_port=8080)
    assert "port_mappings" not in info["container"]["docker"]
    assert info["command"]["environment"]["variables"] == [{"name": "NGINX_PORT", "value": "8080"}]


def _offer(
    n: int, agent: str, cpus: float = 2.0, mem: float = 1024.0, ports: Any = ((31000, 31002),)
) -> dict[str, Any]:
    return offer_body(f"O{n}", "F", Agent(agent, hostname=f"host-{agent}"), cpus, mem, list(ports))


def _ids() -> Any:
    numbers = count(1)
    return lambda: f"nginx-{next(numbers)}"


BRIDGE = Demand(0.5, 128, 0, "img", "BRIDGE")


def test_placement_spreads_tasks_over_agents() -> None:
    result = place([_offer(1, "A"), _offer(2, "B")], 3, {}, 2, BRIDGE, _ids())
    per_offer = {k: [t.agent_id for t in v] for k, v in result.launches.items()}
    assert sorted(len(v) for v in per_offer.values()) == [1, 2]
    assert result.declined == []


def test_placement_respects_max_per_agent_and_existing_tasks() -> None:
    result = place([_offer(1, "A"), _offer(2, "B")], 3, {"A": 1}, 1, BRIDGE, _ids())
    assert list(result.launches) == ["O2"]
    assert result.declined == ["O1"]
    assert result.reasons == [
        "host-A (A) offers cpus=2 mem=1024 ports=31000-31002: already runs 1 task(s), max-per-agent is 1"
    ]


def test_placement_takes_distinct_ports_and_lists_them_as_resources() -> None:
    result = place([_offer(1, "A")], 2, {}, 5, BRIDGE, _ids())
    tasks = result.launches["O1"]
    assert [t.host_port for t in tasks] == [31000, 31001]
    ports = [r for r in tasks[1].task_info["resources"] if r["name"] == "ports"]
    assert ports == [{"name": "ports", "type": "RANGES", "ranges": {"range": [{"begin": 31001, "end": 31001}]}}]
    mapping = tasks[1].task_info["container"]["docker"]["port_mappings"]
    assert mapping == [{"host_port": 31001, "container_port": 80, "protocol": "tcp"}]


def test_placement_takes_an_exact_port_only_when_offered() -> None:
    demand = dataclasses.replace(BRIDGE, port=31002)
    assert place([_offer(1, "A")], 1, {}, 1, demand, _ids()).launches["O1"][0].host_port == 31002
    missing = place([_offer(1, "A", ports=[(32000, 32010)])], 1, {}, 1, demand, _ids())
    assert missing.launches == {}
    assert missing.reasons[0].endswith("port 31002 not offered")


@pytest.mark.parametrize(
    ("offer", "why"),
    [
        (dict(cpus=0.1), "cpus 0.1 < 0.5"),
        (dict(mem=32.0), "mem 32 < 128"),
        (dict(ports=[]), "no free port"),
    ],
)
def test_placement_explains_why_an_offer_does_not_fit(offer: dict[str, Any], why: str) -> None:
    result = place([_offer(1, "A", **offer)], 1, {}, 1, BRIDGE, _ids())
    assert result.launches == {}
    assert result.declined == ["O1"]
    assert why in result.reasons[0]


def test_placement_with_nothing_pending_declines_without_reasons() -> None:
    result = place([_offer(1, "A")], 0, {}, 1, BRIDGE, _ids())
    assert (result.launches, result.declined, result.reasons) == ({}, ["O1"], [])


def test_host_mode_without_port_takes_no_port_resource() -> None:
    demand = Demand(0.1, 64, None, "img", "HOST")
    task = place([_offer(1, "A", ports=[])], 1, {}, 1, demand, _ids()).launches["O1"][0]
    assert [r["name"] for r in task.task_info["resources"]] == ["cpus", "mem"]
    assert task.host_port is None


def test_resources_keep_reservations_of_the_offered_entry() -> None:
    reserved = {"reservations": [{"type": "STATIC", "role": "web"}]}
    offer = {
        "resources": [
            {"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.2}, **reserved},
            {"name": "cpus", "type": "SCALAR", "scalar": {"value": 1.0}},
        ]
    }
    taken = OfferResources(offer).take_scalar("cpus", 0.5)
    assert taken == [
        {"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.2}, **reserved},
        {"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.3}},
    ]


def test_pull_failure_is_a_failure_but_not_a_missing_docker_containerizer() -> None:
    pull = {
        "state": "TASK_FAILED",
        "reason": "REASON_CONTAINER_LAUNCH_FAILED",
        "message": PULL_FAILURE.format(image="x"),
    }
    assert not lacks_docker(pull)
    assert describe(pull).startswith("TASK_FAILED / REASON_CONTAINER_LAUNCH_FAILED: Failed to launch container")


@pytest.mark.parametrize(
    "message",
    [
        NO_DOCKER,
        "Unsupported container type: DOCKER",
        "Docker containerizer is not supported on this agent",
    ],
)
def test_missing_docker_containerizer_is_recognised(message: str) -> None:
    assert lacks_docker({"state": "TASK_ERROR", "message": message})
    assert lacks_docker({"state": "TASK_FAILED", "message": message})
    assert not lacks_docker({"state": "TASK_RUNNING", "message": message})


def test_reconciliation_unknown_task_is_recognised() -> None:
    unknown = {
        "state": "TASK_LOST",
        "message": "Reconciliation: Task is unknown",
        "source": "SOURCE_MASTER",
        "reason": "REASON_RECONCILIATION",
    }
    assert is_unknown_to_master(unknown)
    assert not is_unknown_to_master({**unknown, "reason": "REASON_AGENT_REMOVED"})


def test_settings_defaults_match_the_option_table() -> None:
    defaults = {f.name: f.default for f in dataclasses.fields(Settings)}
    for option in OPTIONS:
        if option.name != "master":
            assert defaults[option.name] == option.default, option.name


def test_port_request_semantics() -> None:
    assert Settings("m:1").port_request is None
    assert Settings("m:1", network="BRIDGE").port_request == 0
    assert Settings("m:1", port=0).port_request == 0
    assert Settings("m:1", port=8081, max_per_agent=3).effective_max_per_agent == 1
    assert Settings("m:1", port=0, max_per_agent=3).effective_max_per_agent == 3


def test_offer_body_is_json_serialisable() -> None:
    json.dumps(_offer(1, "A"))
