"""Commands tfal prints or records run as written: absolute paths, quoted for a shell."""

import io
import os
import shlex
import subprocess
import sys

from tfal import campaign, main
from tfal.monitoring import console


def test_command_txt_reruns_in_its_directory_with_this_python(monkeypatch, tmp_path):
    odd = tmp_path / "my runs" / "it's here"
    odd.mkdir(parents=True)
    monkeypatch.chdir(odd)
    monkeypatch.setattr(sys, "argv", ["/somewhere/tfal/main.py", "--gin_file=a b.gin", "--run_dir=r"])
    line = campaign._shell_line(main.rerunnable_command())
    # bash runs the line as written; here with `echo` in place of the command to see its arguments
    probe = line.replace(f"{shlex.quote(sys.executable)} -m tfal.main", 'printf "%s\\n" "$PWD"')
    out = subprocess.run(["bash", "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.splitlines() == [str(odd), "--gin_file=a b.gin", "--run_dir=r"]
    assert f"{shlex.quote(sys.executable)} -m tfal.main" in line


def test_the_summary_prints_absolute_quoted_paths(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    os.makedirs("with space")
    stream = io.StringIO()
    console.summary([], run_dir="with space/run", export_dir="with space/run/export/m",
                    model_name="m", stream=stream)  # fmt: skip
    text = stream.getvalue()
    serve = next(line for line in text.splitlines() if line.startswith("serve"))
    args = shlex.split(serve.removeprefix("serve"))
    assert args[args.index("-v") + 1] == f"{tmp_path}/with space/run/export/m:/models/m"
    report = next(line for line in text.splitlines() if line.startswith("report"))
    assert shlex.split(report.removeprefix("report"))[3:] == [f"{tmp_path}/with space/run", "--out",
                                                              f"{tmp_path}/with space/run/report"]
