"""The PDF workers kept warm between builds (materials/workers.py), on real builds through the
command line: later builds use the running service, its PDFs are byte for byte those a build
renders on its own, it is private to its key holders, it recovers from being killed, it stops
by itself when idle, and a build never fails because of it."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from multiprocessing.connection import AuthenticationError, Client
from pathlib import Path

import pytest
from processes import group_members

from materials import workers
from materials.pdf import PdfJob, PdfRenderer, pdf_stylesheet, readable_roots
from materials.typography import for_print

TIMEOUT = 300


def copy_project(root: Path, dest: Path) -> Path:
    dest.mkdir(parents=True)
    for name in ("content", "locale"):
        shutil.copytree(root / name, dest / name)
    shutil.copy2(root / "tasks.py", dest / "tasks.py")
    return dest


def private_folder(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o700)
    return path


def invoke(cwd: Path, folder: Path, *args: str, **extra_env: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    env.update({workers.ENV_DIR: str(folder), **extra_env})
    r = subprocess.run([sys.executable, "-m", "invoke", *args], cwd=cwd, env=env, text=True,
                       capture_output=True, timeout=TIMEOUT)
    assert r.returncode == 0, r.stdout + r.stderr
    return r


def services(folder: Path) -> dict[str, workers.Status]:
    return {name: st for name, st in workers.running(folder) if st is not None}


def pdfs(build: Path) -> dict[str, bytes]:
    return {str(p.relative_to(build)): p.read_bytes() for p in sorted(build.rglob("*.pdf"))}


def wait_gone(pid: int, seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not workers._alive(pid):
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def folder(tmp_path):
    """A service folder of the test's own; every service in it is stopped afterwards."""
    where = private_folder(tmp_path / "w")
    yield where
    workers.stop(where)


@pytest.fixture(scope="module")
def reference(root, tmp_path_factory):
    """A Finnish build rendered without a service, each PDF in the build's own pool."""
    proj = copy_project(root, tmp_path_factory.mktemp("ref") / "proj")
    invoke(proj, tmp_path_factory.mktemp("unused"), "build", "--lang", "fi", **{workers.ENV_IDLE: "0"})
    return proj


def test_later_builds_use_the_running_service_and_get_the_same_bytes(root, tmp_path, folder, reference):
    proj = copy_project(root, tmp_path / "proj")
    r = invoke(proj, folder, "build", "--lang", "fi")
    assert "PDF workers kept for later builds (10 min idle; invoke workers --stop)" in r.stderr
    first = services(folder)
    assert len(first) == 1, "the first build starts one service"
    (name, st), = first.items()
    assert st.documents == 9 and st.clients == 0
    assert (folder / f"{name}.sock").stat().st_mode & 0o777 == 0o600
    # Rendered by the service or by the build's own pool: the same bytes.
    assert pdfs(proj / "build") == pdfs(reference / "build")

    programme = proj / "content" / "fi" / "programme.md"
    programme.write_text(programme.read_text(encoding="utf-8") + "\nLisätty kappale.\n", encoding="utf-8")
    r = invoke(proj, folder, "build", "--lang", "fi")
    assert "PDF workers kept" not in r.stderr
    again = services(folder)
    assert again.keys() == first.keys() and again[name].pid == st.pid, "the same service served the rebuild"
    assert again[name].documents == 10, "exactly the edited document was rendered"
    assert "Lisätty kappale" in (proj / "build" / "fi" / "programme.html").read_text(encoding="utf-8")


def test_a_killed_service_is_replaced_and_the_build_still_succeeds(root, tmp_path, folder, reference):
    proj = copy_project(root, tmp_path / "proj")
    invoke(proj, folder, "build", "--lang", "fi", "--doc", "programme")
    (name, st), = services(folder).items()
    os.killpg(st.pid, signal.SIGKILL)  # the service and its workers, as an OOM killer might
    assert wait_gone(st.pid)
    assert (folder / f"{name}.sock").exists(), "a killed service leaves its socket behind"
    shutil.rmtree(proj / "build")
    invoke(proj, folder, "build", "--lang", "fi")
    (name2, st2), = services(folder).items()
    assert name2 == name and st2.pid != st.pid and st2.documents == 9
    assert pdfs(proj / "build") == pdfs(reference / "build")


def test_a_service_lost_during_a_build_leaves_the_rest_to_the_build(project, full_build, folder, monkeypatch):
    """The service dies after the build connected: the build renders the PDFs itself."""
    monkeypatch.setenv(workers.ENV_DIR, str(folder))
    out, _, _ = full_build
    html = (out / "en" / "programme.html").read_text(encoding="utf-8")
    job = PdfJob("en/programme.pdf", for_print(html, "en"), (out / "en").resolve().as_uri() + "/",
                 readable_roots(project, out), "content/en/programme.md", pdf_stylesheet(project))
    with PdfRenderer(1) as renderer:
        renderer.start()
        assert renderer._service() is not None
        (_, st), = services(folder).items()
        os.killpg(st.pid, signal.SIGKILL)
        assert wait_gone(st.pid)
        result = renderer.render([job])
        assert renderer.pool is not None, "rendered in the build's own pool"
    assert result["en/programme.pdf"].startswith(b"%PDF-")
    assert result["en/programme.pdf"] == (out / "en" / "programme.pdf").read_bytes()


def test_only_holders_of_the_key_are_served(root, tmp_path, folder):
    proj = copy_project(root, tmp_path / "proj")
    invoke(proj, folder, "build", "--lang", "en", "--doc", "programme")
    (name, st), = services(folder).items()
    assert (folder / "key").stat().st_mode & 0o777 == 0o600
    with pytest.raises(AuthenticationError):
        Client(str(folder / f"{name}.sock"), family="AF_UNIX", authkey=b"x" * 32)
    # It refused the stranger and serves its own as before.
    assert services(folder)[name].pid == st.pid


def test_a_folder_others_may_open_is_not_used(root, tmp_path):
    """Then no service starts, and the build renders on its own."""
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o755)
    proj = copy_project(root, tmp_path / "proj")
    invoke(proj, shared, "build", "--lang", "en", "--doc", "programme")
    assert list(shared.iterdir()) == []
    assert (proj / "build" / "en" / "programme.pdf").read_bytes().startswith(b"%PDF-")
    r = invoke(proj, shared, "workers")
    assert "others may open" in r.stdout


def test_an_idle_service_stops_by_itself_and_cleans_up(root, tmp_path, folder):
    proj = copy_project(root, tmp_path / "proj")
    invoke(proj, folder, "build", "--lang", "en", "--doc", "programme", **{workers.ENV_IDLE: "1"})
    (name, st), = services(folder).items()
    assert st.idle_limit == 1
    assert wait_gone(st.pid, 60), "the idle service did not stop"
    assert not (folder / f"{name}.sock").exists() and not (folder / f"{name}.pid").exists()


def test_other_code_or_settings_get_their_own_service(root, tmp_path, folder, monkeypatch):
    """A service renders with the code and settings it was started with (fontTools stamps fonts
    with SOURCE_DATE_EPOCH, fontconfig picks fallback fonts), so a build with others must not
    use it."""
    name = workers.service_name()
    for key in workers.ENV_KEYS:
        monkeypatch.setenv(key, "elsewhere")
        assert workers.service_name() != name, key
        monkeypatch.undo()
    assert workers.service_name() == name
    proj = copy_project(root, tmp_path / "proj")
    invoke(proj, folder, "build", "--lang", "en", "--doc", "programme")
    shutil.rmtree(proj / "build")
    invoke(proj, folder, "build", "--lang", "en", "--doc", "programme", SOURCE_DATE_EPOCH="1700000000")
    found = services(folder)
    assert len(found) == 2 and sorted(st.documents for st in found.values()) == [1, 1]


def test_the_workers_task_lists_and_stops_the_services(root, tmp_path, folder):
    proj = copy_project(root, tmp_path / "proj")
    assert "no PDF workers running" in invoke(proj, folder, "workers").stdout
    invoke(proj, folder, "build", "--lang", "nl", "--doc", "programme")
    (name, st), = services(folder).items()
    listing = invoke(proj, folder, "workers").stdout
    assert str(st.pid) in listing and "MB" in listing
    r = invoke(proj, folder, "workers", "--stop")
    assert f"stopped 1 PDF worker service(s) (pid {st.pid})" in r.stdout
    assert not workers._alive(st.pid) and services(folder) == {}
    assert not (folder / f"{name}.sock").exists()


def test_no_service_when_turned_off(root, tmp_path, folder):
    proj = copy_project(root, tmp_path / "proj")
    invoke(proj, folder, "build", "--lang", "en", "--doc", "programme", **{workers.ENV_IDLE: "0"})
    assert services(folder) == {} and not list(folder.glob("*.sock"))
    assert "not kept between builds" in invoke(proj, folder, "workers", **{workers.ENV_IDLE: "0"}).stdout


def wait_group_gone(pgid: int, seconds: float = 30) -> list[int]:
    deadline = time.monotonic() + seconds
    while group_members(pgid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return group_members(pgid)


def test_workers_end_with_a_service_killed_outright(root, tmp_path, folder):
    """SIGKILL to the service alone (not its group): its fork server and workers go too."""
    proj = copy_project(root, tmp_path / "proj")
    invoke(proj, folder, "build", "--lang", "en", "--doc", "programme")
    (name, st), = services(folder).items()
    assert len(group_members(st.pid)) >= 3, "the service, its fork server and its workers"
    os.kill(st.pid, signal.SIGKILL)
    assert wait_group_gone(st.pid) == []
    # A leftover pid file and socket: `invoke workers --stop` clears them.
    assert "stopped 0" in invoke(proj, folder, "workers", "--stop").stdout
    assert list(folder.glob("pdf-*.sock")) == list(folder.glob("pdf-*.pid")) == []


def test_sigterm_stops_a_service_cleanly(root, tmp_path, folder):
    proj = copy_project(root, tmp_path / "proj")
    invoke(proj, folder, "build", "--lang", "en", "--doc", "programme")
    (name, st), = services(folder).items()
    os.kill(st.pid, signal.SIGTERM)
    assert wait_group_gone(st.pid) == []
    assert not (folder / f"{name}.sock").exists() and not (folder / f"{name}.pid").exists()


def test_a_builds_own_workers_end_with_a_build_killed_outright(root, tmp_path, folder):
    """Without a kept service, SIGKILL to the build process alone ends its workers too."""
    proj = copy_project(root, tmp_path / "proj")
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    env.update({workers.ENV_DIR: str(folder), workers.ENV_IDLE: "0"})
    p = subprocess.Popen([sys.executable, "-m", "invoke", "build"], cwd=proj, env=env, start_new_session=True,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + TIMEOUT
    while len(group_members(p.pid)) < 3 and time.monotonic() < deadline:  # the workers are up
        time.sleep(0.02)
    assert len(group_members(p.pid)) >= 3
    os.kill(p.pid, signal.SIGKILL)
    p.wait()
    assert wait_group_gone(p.pid) == []


def test_a_service_that_cannot_start_leaves_the_build_to_render_on_its_own(root, tmp_path, folder, reference,
                                                                           monkeypatch):
    """Something in the way of the socket: the build still succeeds, with the same bytes, and
    `invoke workers` says why no service runs."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")  # as the build sets it
    name = workers.service_name()
    (folder / f"{name}.sock").mkdir()
    proj = copy_project(root, tmp_path / "proj")
    r = invoke(proj, folder, "build", "--lang", "fi")
    assert "PDF workers kept" not in r.stderr and services(folder) == {}
    assert pdfs(proj / "build") == pdfs(reference / "build")
    listing = invoke(proj, folder, "workers").stdout
    assert f"{name} could not start the last time" in listing and "IsADirectoryError" in listing
    # Once the way is clear, the next build starts it and the reason is gone.
    (folder / f"{name}.sock").rmdir()
    shutil.rmtree(proj / "build")
    invoke(proj, folder, "build", "--lang", "fi", "--doc", "programme")
    assert list(services(folder)) == [name] and workers.failures(folder) == {}
