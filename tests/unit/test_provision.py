"""tools.provision: exit-code rules and nothing of a run's input left on disk.

The rules are checked on real ansible-runner runs against localhost (local
connection), each a small playbook that fails in one particular way.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from tools import provision

PLAY = """
- name: {name}
  hosts: {hosts}
  gather_facts: false
  tasks:
{tasks}
"""
SAY = """    - name: Say something
      ansible.builtin.debug:
        msg: "said {{ word | default('nothing') }}"
"""
FAIL = """    - name: Fail on purpose
      ansible.builtin.fail:
        msg: failing on purpose
"""


@pytest.fixture()
def lab(tmp_path, monkeypatch) -> Path:
    monkeypatch.setattr(provision, "RECORDS_DIR", tmp_path / "records")
    monkeypatch.setattr(provision.tempfile, "tempdir", str(tmp_path / "private"))
    (tmp_path / "private").mkdir()
    (tmp_path / "inventory.ini").write_text(
        f"good ansible_connection=local ansible_python_interpreter={sys.executable}\n"
        "gone ansible_host=127.0.0.1 ansible_port=9 ansible_connection=ssh ansible_ssh_timeout=3\n"
    )
    return tmp_path


def run(lab: Path, body: str, **kwargs) -> provision.ProvisionResult:
    playbook = lab / "play.yml"
    playbook.write_text(body)
    return provision.run_playbook(playbook, lab / "inventory.ini", out=io.StringIO(), **kwargs)


def test_successful_run_exits_zero(lab):
    result = run(lab, PLAY.format(name="fine", hosts="good", tasks=SAY))
    assert result.exit_code == provision.EXIT_OK
    assert result.hosts["good"].ok == 1 and result.problems() == []


def test_failed_host_is_non_zero(lab):
    result = run(lab, PLAY.format(name="failing", hosts="good", tasks=FAIL))
    assert result.exit_code == provision.EXIT_HOSTS_FAILED
    assert result.hosts["good"].failed == 1
    assert result.failures[0]["message"] == "failing on purpose"


def test_unreachable_host_is_non_zero(lab):
    ping = "    - name: Reach the host\n      ansible.builtin.ping:\n"
    result = run(lab, PLAY.format(name="unreachable", hosts="gone", tasks=ping))
    assert result.exit_code == provision.EXIT_HOSTS_FAILED
    assert result.hosts["gone"].unreachable == 1
    assert "gone: unreachable" in result.problems()


def test_play_matching_no_hosts_is_non_zero(lab):
    body = PLAY.format(name="fine", hosts="good", tasks=SAY) + PLAY.format(
        name="for nobody", hosts="no_such_group", tasks=SAY
    )
    result = run(lab, body)
    assert result.exit_code == provision.EXIT_NO_HOSTS
    assert result.plays_without_hosts == ["for nobody"]


def test_cancelled_run_is_non_zero(lab):
    slow = "    - name: Wait\n      ansible.builtin.pause:\n        seconds: 20\n"
    result = run(lab, PLAY.format(name="slow", hosts="good", tasks=slow), cancel=lambda: True)
    assert result.status == "canceled"
    assert result.exit_code == provision.EXIT_INCOMPLETE


def test_no_extra_vars_left_on_disk(lab):
    result = run(lab, PLAY.format(name="fine", hosts="good", tasks=SAY), extra_vars={"word": "hunter2-secret"})
    assert result.exit_code == provision.EXIT_OK
    assert list((lab / "private").iterdir()) == [], "the private data directory must be removed"
    kept = [p for p in (lab / "records").rglob("*") if p.is_file()]
    assert kept, "a run record is kept"
    for path in kept:
        assert "hunter2-secret" not in path.read_text()
    stdout = next(p for p in kept if p.name == "stdout.txt").read_text()
    assert "said <extra var>" in stdout


def test_records_are_rotated(lab, monkeypatch):
    monkeypatch.setattr(provision, "RECORDS_KEPT", 2)
    for _ in range(3):
        run(lab, PLAY.format(name="fine", hosts="good", tasks=SAY))
    assert len(list((lab / "records").iterdir())) == 2


def test_exit_code_rules_without_a_run():
    def result(status="successful", rc=0, hosts=None, unmatched=()):
        return provision.ProvisionResult("p.yml", status, rc, 0.0, hosts or {}, list(unmatched))

    assert provision.exit_code(result()) == provision.EXIT_OK
    assert provision.exit_code(result(hosts={"a": provision.HostStats(failed=1)})) == provision.EXIT_HOSTS_FAILED
    assert provision.exit_code(result(unmatched=["p"])) == provision.EXIT_NO_HOSTS
    assert provision.exit_code(result(status="timeout", rc=None)) == provision.EXIT_INCOMPLETE
    assert provision.exit_code(result(status="failed", rc=2)) == provision.EXIT_INCOMPLETE


@pytest.mark.parametrize(
    ("items", "expected"),
    [(["a=1 b=2"], {"a": "1", "b": "2"}), (['{"n": 3}'], {"n": 3}), (["a=1", "a=2"], {"a": "2"})],
)
def test_extra_vars_forms(items, expected):
    assert provision.parse_extra_vars(items) == expected


def test_bad_extra_vars_name_the_problem():
    with pytest.raises(ValueError, match="expected KEY=VALUE"):
        provision.parse_extra_vars(["novalue"])


def test_cli_rejects_missing_inventory(tmp_path, capsys):
    playbook = tmp_path / "play.yml"
    playbook.write_text("[]\n")
    assert provision.main(["-i", str(tmp_path / "nope"), str(playbook)]) == provision.EXIT_USAGE
    assert "inventory" in capsys.readouterr().err


def test_limit_makes_plays_for_other_groups_normal(lab):
    body = PLAY.format(name="fine", hosts="good", tasks=SAY) + PLAY.format(name="others", hosts="gone", tasks=SAY)
    result = run(lab, body, limit="good")
    assert result.plays_without_hosts == ["others"]
    assert result.exit_code == provision.EXIT_OK


def test_limit_matching_nothing_says_why(lab):
    result = run(lab, PLAY.format(name="fine", hosts="good", tasks=SAY), limit="nosuchhost")
    assert result.exit_code != provision.EXIT_OK
    assert any("no hosts" in f["message"] for f in result.failures), result.failures


def test_nested_extra_vars_are_blanked_in_records(lab):
    tasks = SAY.replace("word | default('nothing')", "key.file")
    result = run(
        lab, PLAY.format(name="nested", hosts="good", tasks=tasks), extra_vars={"key": {"file": "/secret/path.asc"}}
    )
    assert result.exit_code == provision.EXIT_OK
    for path in (lab / "records").rglob("*"):
        if path.is_file():
            assert "/secret/path.asc" not in path.read_text()


def test_quoted_values_are_unquoted_like_ansible():
    assert provision.parse_extra_vars(["msg=\"hello world\" x='abc'"]) == {"msg": "hello world", "x": "abc"}
