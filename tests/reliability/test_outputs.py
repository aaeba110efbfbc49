"""``evalkit run`` outputs that cannot destroy anything (issue 15, part A).

Each refusal is exit code 2 with one line and leaves every file as it was; the checks happen
before a kernel starts, so most cases take milliseconds.
"""

from __future__ import annotations

import errno
import json
import os
import time
from pathlib import Path

import pytest

from evalkit.errors import RunError, TemplateParameterError
from evalkit.run import execute, safety
from evalkit.run.execute import run_template

from .helpers_outputs import FIX, cli, files_notebook, one_line_error

ECHO = str(FIX / "echo.ipynb")


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (links not followed) with its content."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and not p.is_symlink()}


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A working directory holding a data file, a survey and a sub-folder."""
    (tmp_path / "city.csv").write_text("month,count\n2024-01,3\n", encoding="utf-8")
    (tmp_path / "survey.csv").write_text("id,answer\n1,yes\n", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "notes.txt").write_text("keep me", encoding="utf-8")
    files_notebook(tmp_path)
    monkeypatch.chdir(tmp_path)
    return tmp_path


# --------------------------------------------------------------------------- refusals


@pytest.mark.parametrize(("out", "match"), [
    ("/", "is the root folder"),
    (".", "is the working directory or one of its parents"),
    ("..", "is the working directory or one of its parents"),
    ("./sub/..", "is the working directory or one of its parents"),
])
def test_out_that_would_replace_a_folder_above_the_work_is_refused(project, out, match):
    before = snapshot(project)
    code, _, err = cli("run", ECHO, "--out", out, "--overwrite", "--no-progress")
    assert code == 2
    assert match in one_line_error(err)
    assert snapshot(project) == before


def test_out_home_folder_is_refused(project, monkeypatch):
    monkeypatch.setenv("HOME", str(project / "sub"))
    code, _, err = cli("run", ECHO, "--out", "~", "--overwrite")
    assert code == 2 and "is your home folder" in one_line_error(err)
    assert (project / "sub" / "notes.txt").read_text() == "keep me"


def test_symlinked_out_is_refused_and_its_target_kept(project):
    run_template(ECHO, out=project / "real", progress=False)
    (project / "link").symlink_to(project / "real")
    before = snapshot(project / "real")
    code, _, err = cli("run", ECHO, "--out", "link", "--overwrite")
    assert code == 2 and "is a symbolic link" in one_line_error(err)
    assert snapshot(project / "real") == before and (project / "link").is_symlink()


def test_dangling_symlink_out_is_refused(project):
    (project / "dangling").symlink_to(project / "nowhere")
    code, _, err = cli("run", ECHO, "--out", "dangling")
    assert code == 2 and "is a symbolic link" in one_line_error(err)
    assert not (project / "nowhere").exists()


def test_out_that_is_a_plain_file_is_refused(project):
    code, _, err = cli("run", ECHO, "--out", "sub/notes.txt", "--overwrite")
    assert code == 2 and "is a file, not a report folder" in one_line_error(err)
    assert (project / "sub" / "notes.txt").read_text() == "keep me"


def test_folder_not_written_by_evalkit_is_never_replaced(project):
    before = snapshot(project)
    code, _, err = cli("run", ECHO, "--out", "sub", "--overwrite")
    assert code == 2
    assert "was not written by evalkit (it has no .evalkit-report file)" in one_line_error(err)
    assert snapshot(project) == before


def test_a_marker_that_is_a_symlink_does_not_count(project):
    (project / "fake").mkdir()
    (project / "fake" / safety.MARKER).symlink_to(project / "city.csv")
    code, _, err = cli("run", ECHO, "--out", "fake", "--overwrite")
    assert code == 2 and "was not written by evalkit" in err


@pytest.mark.parametrize(("data", "out"), [("city.csv", "city.csv"),
                                           ("in/city.csv", "in")])
def test_out_equal_to_or_holding_the_data_file_is_refused(project, data, out):
    (project / "in").mkdir()
    (project / "in" / "city.csv").write_bytes((project / "city.csv").read_bytes())
    before = snapshot(project)
    code, _, err = cli("run", "files.ipynb", "--data", data, "--out", out, "--overwrite")
    assert code == 2
    assert f"is or holds the input {project / data}" in one_line_error(err)
    assert snapshot(project) == before


def test_out_holding_a_file_parameter_is_refused(project):
    (project / "inputs").mkdir()
    (project / "inputs" / "answers.csv").write_text("a\n1\n")
    code, _, err = cli("run", "files.ipynb", "--data", "city.csv", "-p", "survey",
                       "inputs/answers.csv", "--out", "inputs", "--overwrite")
    assert code == 2
    assert "is or holds the input" in one_line_error(err) and "answers.csv" in err
    assert (project / "inputs" / "answers.csv").read_text() == "a\n1\n"


def test_out_inside_a_file_is_one_line_exit_2(project):
    code, _, err = cli("run", ECHO, "--out", "city.csv/report", "--no-progress")
    assert code == 2 and "Not a directory" in one_line_error(err)


def test_out_equal_to_the_data_file_via_a_relative_path_in_a_yaml_file(project):
    (project / "p.yaml").write_text("survey: survey.csv\n", encoding="utf-8")
    code, _, err = cli("run", "files.ipynb", "--data", "city.csv", "-f", "p.yaml",
                       "--out", "survey.csv", "--overwrite")
    assert code == 2 and "survey.csv" in one_line_error(err)
    assert (project / "survey.csv").read_text().startswith("id,answer")


# --------------------------------------------------------------------------- replacing


def test_every_report_folder_carries_the_marker_and_can_be_replaced(project):
    first = run_template(ECHO, out=project / "rep", text={"name": "one"}, progress=False)
    marker = json.loads((first.out / safety.MARKER).read_text(encoding="utf-8"))
    assert marker["pid"] == os.getpid()
    second = run_template(ECHO, out=project / "rep", text={"name": "two"}, overwrite=True,
                          progress=False)
    assert second.results["parameters"]["name"] == "two"
    assert sorted(p.name for p in project.iterdir() if p.name.startswith(".")) == []


def test_replacement_never_leaves_the_folder_absent(project, monkeypatch):
    run_template(ECHO, out=project / "rep", progress=False)
    seen = []
    real_rename, real_replace = os.rename, os.replace
    exchange = safety._renameat2

    def watch(func):
        def wrapper(*args, **kwargs):
            result = func(*args, **kwargs)
            seen.append((project / "rep" / "results.json").is_file())
            return result
        return wrapper

    monkeypatch.setattr(os, "rename", watch(real_rename))
    monkeypatch.setattr(os, "replace", watch(real_replace))
    monkeypatch.setattr(safety, "_renameat2", watch(exchange))
    run_template(ECHO, out=project / "rep", text={"name": "new"}, overwrite=True,
                 progress=False)
    assert seen and all(seen)
    got = json.loads((project / "rep" / "results.json").read_text(encoding="utf-8"))
    assert got["parameters"]["name"] == "new"


def test_install_exchanges_two_folders(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "old.txt").write_text("old")
    (tmp_path / "work").mkdir()
    (tmp_path / "work" / "new.txt").write_text("new")
    safety.install(tmp_path / "work", tmp_path / "out")
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["new.txt"]
    assert not (tmp_path / "work").exists()


# --------------------------------------------------------------------------- failures


def test_a_failed_run_removes_the_parent_folders_it_created(project):
    code, _, err = cli("run", str(FIX / "fails.ipynb"), "--out", "a/b/c", "--no-progress")
    assert code == 1 and "boom in the fixture" in one_line_error(err)
    assert not (project / "a").exists()


def test_a_failed_run_keeps_parent_folders_that_existed(project):
    code, _, _ = cli("run", str(FIX / "fails.ipynb"), "--out", "sub/new/c", "--no-progress")
    assert code == 1
    assert sorted(p.name for p in (project / "sub").iterdir()) == ["notes.txt"]


def test_full_disk_while_writing_is_one_line_exit_1_and_leaves_nothing(project, monkeypatch):
    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(execute, "export_html", full)
    code, _, err = cli("run", ECHO, "--out", "deep/rep", "--no-progress")
    assert code == 1
    assert "No space left on device" in one_line_error(err) and "deep/rep" in err
    assert sorted(p.name for p in project.iterdir()) == [
        "city.csv", "files.ipynb", "sub", "survey.csv"]


def test_full_disk_raises_run_error_from_the_api(project, monkeypatch):
    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(execute, "export_html", full)
    with pytest.raises(RunError, match=r"cannot write the report to .*No space left"):
        run_template(ECHO, out=project / "rep", progress=False)


# --------------------------------------------------------------------------- text parameters


def test_a_long_paragraph_with_and_or_is_text_not_a_path(project):
    paragraph = ("Wardens patrolled " + "the streets at night, " * 14 + "and officers "
                 "and/or wardens reported every incident to the partnership.")
    assert len(paragraph.split("/")[0]) > 255  # probed as a path: ENAMETOOLONG
    outcome = run_template(ECHO, out=project / "rep", text={"name": paragraph},
                           progress=False)
    assert outcome.results["parameters"]["name"] == paragraph


def test_text_naming_an_existing_file_is_kept_as_written(project):
    outcome = run_template(ECHO, out=project / "rep", text={"name": "sub/notes.txt"},
                           progress=False)
    assert outcome.results["parameters"]["name"] == "sub/notes.txt"


def test_declared_file_parameters_are_made_absolute(project):
    outcome = run_template("files.ipynb", out=project / "rep", data="city.csv",
                           text={"survey": "survey.csv", "note": "survey.csv"},
                           progress=False)
    assert outcome.results["parameters"] == {"data": str(project / "city.csv"),
                                             "survey": str(project / "survey.csv"),
                                             "note": "survey.csv"}


# --------------------------------------------------------------------------- YAML files

BOMB = ('a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
        'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n'
        'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n'
        'f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n'
        'h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\ni: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n')


def test_a_yaml_alias_bomb_is_refused_at_once(project):
    assert len(BOMB) < 500
    (project / "bomb.yaml").write_text(BOMB, encoding="utf-8")
    start = time.monotonic()
    code, _, err = cli("run", ECHO, "-f", "bomb.yaml", "--out", "rep")
    assert time.monotonic() - start < 1.0
    assert code == 2 and "aliases (*name) are not allowed" in one_line_error(err)


def test_a_huge_parameters_file_is_refused(project):
    (project / "huge.yaml").write_text("name: " + "x" * 1_100_000 + "\n", encoding="utf-8")
    code, _, err = cli("run", ECHO, "-f", "huge.yaml", "--out", "rep")
    assert code == 2 and "is larger than 1 MB" in one_line_error(err)


@pytest.mark.parametrize(("setup", "match"), [
    (lambda p: p.mkdir(), "is not a regular file"),
    (lambda p: os.mkfifo(p), "is not a regular file"),
    (lambda p: p.write_bytes(b"name: H\xf4tel\n"), "is not UTF-8 text"),
    (lambda p: None, "parameters file not found"),
    (lambda p: p.write_text("- a\n- b\n"), "must be a mapping"),
    (lambda p: p.write_text("name: [unclosed\n"), "is not valid YAML"),
])
def test_unreadable_parameters_files_are_one_line_exit_2(project, setup, match):
    setup(project / "p.yaml")
    code, _, err = cli("run", ECHO, "-f", "p.yaml", "--out", "rep")
    assert code == 2 and match in one_line_error(err)


def test_load_yaml_keeps_ordinary_files():
    assert safety.load_yaml(FIX.parent.parent / "run" / "__init__.py", what="file") is None


# --------------------------------------------------------------------------- locks


def test_a_second_writer_of_the_same_out_is_refused_naming_the_first(project):
    with safety.output_lock(project / "rep"):
        code, _, err = cli("run", ECHO, "--out", "rep", "--no-progress")
    assert code == 2
    line = one_line_error(err)
    assert "is being written by another evalkit process" in line
    assert f"PID {os.getpid()}" in line
    assert not (project / "rep").exists()


def test_the_lock_file_is_removed_after_a_run(project):
    run_template(ECHO, out=project / "rep", progress=False)
    assert not (project / ".rep.lock").exists()


def test_a_lock_file_unlinked_by_its_holder_cannot_be_held_twice(tmp_path):
    target = tmp_path / "rep"
    with safety.output_lock(target):
        pass  # released and unlinked
    busy = r"is being written by another evalkit process"
    with (safety.output_lock(target), pytest.raises(TemplateParameterError, match=busy),
          safety.output_lock(target)):
        pass


def test_stale_work_folders_of_dead_processes_are_removed(project):
    import subprocess

    sleeper = subprocess.Popen(["sleep", "60"])
    try:
        dead = subprocess.run(["true"], check=True)
        assert dead.returncode == 0
        folders = {}
        for label, pid in (("dead", 2**22 + 12345), ("live", sleeper.pid)):
            folders[label] = project / f".rep.tmp-{label}"
            folders[label].mkdir()
            (folders[label] / safety.MARKER).write_text(json.dumps({"pid": pid}))
        (project / ".rep.tmp-foreign").mkdir()  # no marker: not ours
        run_template(ECHO, out=project / "rep", progress=False)
        assert not folders["dead"].exists()
        assert folders["live"].exists() and (project / ".rep.tmp-foreign").exists()
    finally:
        sleeper.kill()
        sleeper.wait()


def test_every_file_parameter_of_the_shipped_templates_is_a_declared_path():
    from evalkit.run.templates import list_templates

    for tpl in list_templates():
        for p in tpl.parameters:
            if p.type == "str" and any(word in p.help for word in ("file", "CSV", "table")):
                assert p.name in execute.PATH_PARAMETERS, (tpl.name, p.name)


def test_the_demo_never_replaces_a_folder_it_did_not_write(project):
    (project / "demo" / "centre").mkdir(parents=True)
    (project / "demo" / "centre" / "mine.txt").write_text("keep")
    code, _, err = cli("demo", "--out", "demo", "--no-progress")
    assert code == 2 and "was not written by evalkit" in one_line_error(err)
    assert sorted(p.name for p in (project / "demo" / "centre").iterdir()) == ["mine.txt"]


def test_a_zombie_or_a_reused_pid_does_not_keep_a_stale_work_folder_alive():
    """A killed writer that init has not reaped yet, or whose PID a newer process took, is
    dead for the stale-folder rule (the full suite once left a folder behind that way)."""
    import subprocess
    import sys

    from evalkit.run.safety import alive

    def state(pid: int) -> str:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and state(child.pid) != "Z":
        time.sleep(0.05)
    assert not alive(child.pid)  # a zombie until we reap it below
    child.wait()
    assert alive(os.getpid())
    assert not alive(os.getpid(), since=time.time() - 10**6)  # the PID started after the marker
