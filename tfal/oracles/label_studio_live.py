"""A live Label Studio: the human oracle's queries as tasks of a project on a server.

The calls label-studio-sdk makes (projects, task import, JSON export), over Label Studio's REST API
with the standard library: the SDK would pin numpy below tfal's and pull in pandas, OpenCV and NLTK.
Tasks carry `data.pool_index` and `data.tfal_query` (the query's name, e.g. "cycle_0"), so a query
is found again after a restart, whatever happened between the import and tfal's record of it; the
token comes from the environment (`TOKEN_ENV`), never from a gin file or the run directory.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence

TOKEN_ENV = "LABEL_STUDIO_API_KEY"


def _refusal(url: str, method: str, path: str, error: urllib.error.HTTPError) -> ValueError:
    detail = error.read().decode("utf-8", "replace")[:200].replace("\n", " ")
    return ValueError(f"Label Studio at {url} answered {error.code} to {method} {path}: {detail}")


class LabelStudioProject:
    """One project on a Label Studio server, created with `label_config` if no project has
    `title` yet (reused otherwise)."""

    def __init__(self, url: str, title: str, label_config: str, *, timeout: float = 60.0):
        token = os.environ.get(TOKEN_ENV, "").strip()
        if not token:
            raise ValueError(
                f"HumanOracle.label_studio_url is {url!r}: put an access token of that Label "
                f"Studio in the environment variable {TOKEN_ENV} (Account & Settings)"
            )
        self.url, self.title, self.timeout = url.rstrip("/"), title, timeout
        self._token, self._access = token, None
        self._config = label_config
        self._id: int | None = None

    @property
    def id(self) -> int:
        """The project's id: found by title, else created (once per object)."""
        if self._id is None:
            found = [p for p in self._projects() if p.get("title") == self.title]
            self._id = int(found[0]["id"]) if found else int(
                self._call("POST", "/api/projects", {"title": self.title, "label_config": self._config})["id"]
            )
        return self._id

    def link(self) -> str:
        """Where people annotate: the project's data manager."""
        return f"{self.url}/projects/{self.id}/data"

    def tasks_of(self, query: str) -> list[dict]:
        """The project's tasks of one query, with their annotations, found by their tag in the
        whole project's JSON export (every query's images: for finding a query's tasks once)."""
        exported = self._call(
            "GET", f"/api/projects/{self.id}/export",
            params={"exportType": "JSON", "download_all_tasks": "true"},
        )  # fmt: skip
        if not isinstance(exported, list):
            raise ValueError(f"{self.url}: project {self.id}'s export is not a list of tasks")
        return [t for t in exported if isinstance(t, dict) and (t.get("data") or {}).get("tfal_query") == query]

    def task(self, task_id: int) -> dict:
        """One task with its annotations (what the export holds for it)."""
        return self._call("GET", f"/api/tasks/{int(task_id)}")

    def import_tasks(self, tasks: Sequence[dict]) -> None:
        self._call("POST", f"/api/projects/{self.id}/import", list(tasks))

    def _projects(self) -> list[dict]:
        projects, page = [], 1
        while True:
            found = self._call("GET", "/api/projects", params={"page": page, "page_size": 100})
            if isinstance(found, list):  # older servers: no pagination
                return found
            projects += found.get("results", [])
            if not found.get("next"):
                return projects
            page += 1

    def _authorization(self, renew: bool = False) -> str:
        """A legacy token as it is; a personal access token (a JWT, Label Studio >= 1.17's
        default) exchanged for a short-lived access token, renewed when it expires."""
        if self._token.count(".") != 2:
            return f"Token {self._token}"
        if self._access is None or renew:
            self._access = self._request(
                "POST", "/api/token/refresh/", {"refresh": self._token}, "", auth=False
            )["access"]
        return f"Bearer {self._access}"

    def _call(self, method: str, path: str, body=None, params: dict | None = None):
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        try:
            return self._request(method, path, body, query)
        except urllib.error.HTTPError as e:
            if e.code != 401 or self._access is None:
                raise _refusal(self.url, method, path, e) from e
        self._authorization(renew=True)  # an expired access token
        try:
            return self._request(method, path, body, query)
        except urllib.error.HTTPError as e:
            raise _refusal(self.url, method, path, e) from e

    def _request(self, method: str, path: str, body, query: str, auth: bool = True):
        headers = {"Content-Type": "application/json"}
        if auth:
            headers["Authorization"] = self._authorization()
        data = None if body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request(
            f"{self.url}{path}{query}", data=data, method=method, headers=headers
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.loads(response.read().decode("utf-8") or "null")
        except urllib.error.HTTPError:
            raise
        except (urllib.error.URLError, TimeoutError, ConnectionError) as e:
            raise ValueError(
                f"Label Studio at {self.url} cannot be reached ({getattr(e, 'reason', e)}); is it "
                "running, and is HumanOracle.label_studio_url right?"
            ) from e
