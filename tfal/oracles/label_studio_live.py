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
        self._headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
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
        """The project's tasks of one query, with their annotations (Label Studio's JSON export)."""
        exported = self._call(
            "GET", f"/api/projects/{self.id}/export",
            params={"exportType": "JSON", "download_all_tasks": "true"},
        )  # fmt: skip
        if not isinstance(exported, list):
            raise ValueError(f"{self.url}: project {self.id}'s export is not a list of tasks")
        return [t for t in exported if isinstance(t, dict) and (t.get("data") or {}).get("tfal_query") == query]

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

    def _call(self, method: str, path: str, body=None, params: dict | None = None):
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        data = None if body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request(
            f"{self.url}{path}{query}", data=data, method=method, headers=self._headers
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.loads(response.read().decode("utf-8") or "null")
        except urllib.error.HTTPError as e:
            detail = e.read().decode("utf-8", "replace")[:200].replace("\n", " ")
            raise ValueError(
                f"Label Studio at {self.url} answered {e.code} to {method} {path}: {detail}"
            ) from e
        except (urllib.error.URLError, TimeoutError, ConnectionError) as e:
            raise ValueError(
                f"Label Studio at {self.url} cannot be reached ({getattr(e, 'reason', e)}); is it "
                "running, and is HumanOracle.label_studio_url right?"
            ) from e
