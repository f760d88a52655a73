"""The human oracle against a real Label Studio (started on 127.0.0.1 by label_studio_server):
a two-cycle campaign whose tasks people annotate through Label Studio's API as they would in its
UI: one task skipped, two annotators who disagree until a third settles it, and a correction."""

import json
import os
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

import label_studio_server  # noqa: E402
from subprocess_campaigns import in_process, outcome  # noqa: E402

from tfal import relabel  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def server():
    binary = label_studio_server.command()
    if binary is None:
        pytest.skip("label-studio is not installed here (.ci/run installs it; set TFAL_LABEL_STUDIO)")
    url, process, data_dir = label_studio_server.start(binary)
    yield url
    label_studio_server.stop(process, data_dir)


class Annotators:
    """People in Label Studio, through its REST API (as its UI calls it), independent of tfal."""

    def __init__(self, url):
        self.url = url

    def call(self, method, path, body=None):
        import urllib.request

        request = urllib.request.Request(
            f"{self.url}{path}", method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"Token {label_studio_server.TOKEN}",
                     "Content-Type": "application/json"},
        )  # fmt: skip
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read() or b"null")

    def user(self, name):
        return self.call("POST", "/api/users/", {"email": f"{name}@example.com", "username": name,
                                                 "password": f"{name}-password-1"})["id"]  # fmt: skip

    def tasks(self, project):
        return self.call("GET", f"/api/projects/{project}/export?exportType=JSON&download_all_tasks=true")

    def annotate(self, task, choice, by=None, cancelled=False):
        result = [] if cancelled else [{"from_name": "label", "to_name": "image", "type": "choices",
                                        "value": {"choices": [choice]}}]  # fmt: skip
        body = {"result": result, "was_cancelled": cancelled, **({"completed_by": by} if by else {})}
        return self.call("POST", f"/api/tasks/{task}/annotations/", body)["id"]

    def change(self, annotation, choice):
        self.call("PATCH", f"/api/annotations/{annotation}/", {"result": [
            {"from_name": "label", "to_name": "image", "type": "choices", "value": {"choices": [choice]}}]})


def test_a_campaign_labelled_in_a_live_label_studio(server, tmp_path, request, monkeypatch, capsys):
    repo, run_dir = request.config.rootpath, str(tmp_path / "run")
    args = ["--gin_file=gin_configs/setting/baseline.gin",  # labels are tested, not SEMI
            "--gin_bindings=ActiveLearningLoop.sup_epochs=3",
            "--gin_bindings=ActiveLearningLoop.oracle_fn=@tfal.data.HumanOracle",
            f"--gin_bindings=HumanOracle.label_studio_url='{server}'",
            "--gin_bindings=HumanOracle.disagreement='majority'",
            "--gin_bindings=ActiveLearningLoop.num_cycles=2"]  # fmt: skip
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", label_studio_server.TOKEN)

    def run(*_):  # each re-run of the command, in this process (a process start costs seconds)
        code, err = in_process(repo, monkeypatch, capsys, run_dir, *args)
        return subprocess.CompletedProcess([], code, "", err)
    people = Annotators(server)
    second, third = people.user("ann2"), people.user("ann3")

    first = run()
    assert first.returncode == 3 and "wait for annotations in Label Studio" in first.stderr, first.stderr[-1500:]
    live = json.load(open(os.path.join(run_dir, "queries", "initial.label_studio.live.json")))
    state = json.load(open(os.path.join(run_dir, "state.json")))
    tasks = people.tasks(live["project_id"])
    assert sorted(t["data"]["pool_index"] for t in tasks) == sorted(state["pending_query"])
    assert sorted(t["id"] for t in tasks) == live["task_ids"]
    assert all(t["data"]["image"].startswith("data:image/png;base64,") for t in tasks)

    by_index = {t["data"]["pool_index"]: t["id"] for t in tasks}
    indices = sorted(by_index)
    skipped, disputed = indices[0], indices[1]
    people.annotate(by_index[skipped], None, cancelled=True)
    people.annotate(by_index[disputed], str(disputed % 10))
    people.annotate(by_index[disputed], str((disputed + 1) % 10), by=second)
    answers = {i: people.annotate(by_index[i], str(i % 10)) for i in indices[2:]}
    tie = run()
    assert tie.returncode != 0 and "annotators disagree" in tie.stderr  # 1 against 1: no majority
    assert json.load(open(os.path.join(run_dir, "state.json"))) == state  # nothing taken
    people.annotate(by_index[disputed], str(disputed % 10), by=third)

    cycle0 = run()
    assert cycle0.returncode == 3, cycle0.stderr[-1500:]
    state = json.load(open(os.path.join(run_dir, "state.json")))
    assert state["skipped"] == [skipped] and skipped not in state["labeled_idx"]
    assert state["labels"] == [i % 10 for i in state["labeled_idx"]]
    votes = json.load(open(os.path.join(run_dir, "queries", "initial.votes.json")))
    assert votes["policy"] == "majority" and len(votes["votes"][str(disputed)]) == 3

    # A person corrects an answer in Label Studio after tfal took it: reported, then relabelled.
    corrected = indices[2]
    people.change(answers[corrected], str((corrected + 3) % 10))
    live0 = json.load(open(os.path.join(run_dir, "queries", "cycle_0.label_studio.live.json")))
    for task in people.tasks(live0["project_id"]):
        if task["data"]["tfal_query"] == "cycle_0":
            people.annotate(task["id"], str(task["data"]["pool_index"] % 10))
    assert relabel.main([run_dir, "--pool_index", str(corrected), "--label",
                         str((corrected + 3) % 10), "--why", "changed in Label Studio"]) == 0  # fmt: skip
    last = run()
    assert last.returncode == 0, last.stderr[-1500:]
    labeled, labels, acquired, accuracies = outcome(run_dir)
    truth = {i: i % 10 for i in labeled} | {corrected: (corrected + 3) % 10}
    assert labels == [truth[i] for i in labeled] and sorted(accuracies) == [0, 1]
    assert acquired[0]["indices"] and skipped not in labeled
    final = json.load(open(os.path.join(run_dir, "state.json")))
    assert final["finished"] and final["extra"]["corrections"][0]["pool_index"] == corrected


def test_a_personal_access_token_works_as_label_studio_hands_it_out(server, monkeypatch):
    """Label Studio >= 1.17 gives users a personal access token (a JWT to exchange for short-lived
    access tokens), not the legacy token: tfal takes either."""
    from tfal.oracles.label_studio_live import LabelStudioProject

    people = Annotators(server)
    try:
        token = people.call("POST", "/api/token/")["token"]
    except Exception as e:  # noqa: BLE001 (a server without personal tokens: say so)
        pytest.skip(f"this Label Studio hands out no personal access token: {e}")
    assert token.count(".") == 2
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", token)
    project = LabelStudioProject(server, "tfal pat", "<View><Image name='image' value='$image'/></View>")
    project._access = "expired.access.token"  # forces the renewal path once
    assert project.id == people.call("GET", f"/api/projects/{project.id}")["id"]
    assert project.tasks_of("initial") == []
