"""A real Label Studio on 127.0.0.1 for the tests, started once per test session.

The `label-studio` command is found as TFAL_LABEL_STUDIO (.ci/run installs it in a virtual
environment of its own: its Django stack pins versions tfal's would not) or on PATH; without it the
tests that need it are skipped, saying so. Start-up takes a minute or more here.
"""

import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request

TOKEN = "tfal-test-token-0123456789abcdef"
START_SECONDS = 300


def command() -> str | None:
    return os.environ.get("TFAL_LABEL_STUDIO") or shutil.which("label-studio")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ready(url: str) -> bool:
    request = urllib.request.Request(f"{url}/api/projects", headers={"Authorization": f"Token {TOKEN}"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status == 200
    except OSError:
        return False


def start(binary: str):
    """(url, process, data directory) of a fresh server with an admin whose token is TOKEN."""
    data_dir = tempfile.mkdtemp(prefix="tfal-label-studio-")
    port = _free_port()
    env = {
        **os.environ,
        "LABEL_STUDIO_BASE_DATA_DIR": data_dir,
        "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true",
        "LABEL_STUDIO_USER_TOKEN": TOKEN,
        "LABEL_STUDIO_USERNAME": "admin@example.com",
        "LABEL_STUDIO_PASSWORD": "tfal-test-password",
        "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK": "true",
    }
    log = open(os.path.join(data_dir, "server.log"), "wb")
    process = subprocess.Popen(
        [binary, "start", "--no-browser", "--internal-host", "127.0.0.1", "--port", str(port)],
        env=env, stdout=log, stderr=subprocess.STDOUT, cwd=data_dir,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline and process.poll() is None:
        if _ready(url):
            return url, process, data_dir
        time.sleep(2)
    process.kill()
    with open(os.path.join(data_dir, "server.log"), "rb") as f:
        tail = f.read()[-2000:].decode("utf-8", "replace")
    raise RuntimeError(f"Label Studio did not start in {START_SECONDS} s:\n{tail}")


def stop(process, data_dir: str) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
    shutil.rmtree(data_dir, ignore_errors=True)
