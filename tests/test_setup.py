"""Set-up (issue 23.7): scripts/ensure-uv takes the route that works first, quietly, on each kind of Python a fresh
machine has; the Makefile compiles bytecode once at sync and never on each run.

ensure-uv runs against a stand-in `python3` that behaves as each kind does (a PEP 668 externally managed Python
refuses `pip install --user` with the "externally-managed-environment" error), and logs every call it gets.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import CHECKOUT

FAKE_PYTHON = r"""#!/bin/sh
echo "python3 $*" >> "$HOME/calls"
case "$1" in
  -c)
    case "$2" in
      *EXTERNALLY-MANAGED*) echo "$FAKE_MANAGED" ;;
      *ensurepip*) echo "$FAKE_VENV" ;;
      *pip*) echo "$FAKE_PIP" ;;
    esac ;;
  -m)
    case "$2" in
      site) echo "$HOME/.local" ;;
      venv)
        mkdir -p "$3/bin"
        {
          echo '#!/bin/sh'
          echo 'echo "venv-python $*" >> "$HOME/calls"'
          echo "printf '#!/bin/sh\\n' > '$3/bin/uv'; chmod +x '$3/bin/uv'"
        } > "$3/bin/python"
        chmod +x "$3/bin/python" ;;
      pip)
        case "$*" in
          *--break-system-packages*) ;;
          *) if [ "$FAKE_MANAGED" = 1 ]; then echo "error: externally-managed-environment" >&2; exit 1; fi ;;
        esac
        mkdir -p "$HOME/.local/bin"; printf '#!/bin/sh\n' > "$HOME/.local/bin/uv"; chmod +x "$HOME/.local/bin/uv" ;;
    esac ;;
esac
"""


def ensure_uv(
    tmp_path: Path, *, managed: bool, venv: bool, pip: bool = True
) -> tuple[subprocess.CompletedProcess[str], str]:
    home = tmp_path / "home"
    bin_dir = tmp_path / "bin"
    home.mkdir()
    bin_dir.mkdir()
    python = bin_dir / "python3"
    python.write_text(FAKE_PYTHON, encoding="utf-8")
    python.chmod(0o755)
    system = [d for d in ("/usr/bin", "/bin") if Path(d).is_dir() and not (Path(d) / "uv").exists()]
    env = {
        "HOME": str(home),
        "PATH": os.pathsep.join([str(bin_dir), *system]),
        "FAKE_MANAGED": str(int(managed)),
        "FAKE_VENV": str(int(venv)),
        "FAKE_PIP": str(int(pip)),
    }
    done = subprocess.run(
        ["sh", str(CHECKOUT / "scripts" / "ensure-uv")], env=env, capture_output=True, text=True, timeout=60
    )
    calls = (home / "calls").read_text(encoding="utf-8") if (home / "calls").exists() else ""
    return done, calls


@pytest.mark.skipif(shutil.which("sh") is None, reason="needs a POSIX shell")
def test_a_python_that_allows_user_installs_gets_pip_install_user(tmp_path: Path) -> None:
    done, calls = ensure_uv(tmp_path, managed=False, venv=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(tmp_path / "home" / ".local" / "bin" / "uv")
    assert done.stderr == "ensure-uv: uv not found; installing it for this user (pip install --user uv)\n"
    assert "-m venv" not in calls and "--break-system-packages" not in calls


@pytest.mark.skipif(shutil.which("sh") is None, reason="needs a POSIX shell")
def test_an_externally_managed_python_gets_a_private_venv_and_no_error_wall(tmp_path: Path) -> None:
    done, calls = ensure_uv(tmp_path, managed=True, venv=True)
    assert done.returncode == 0, done.stderr
    private = tmp_path / "home" / ".local" / "share" / "crosscloud" / "uv"
    assert done.stdout.strip() == str(private / "bin" / "uv")
    assert done.stderr == f"ensure-uv: uv not found; installing it into a private venv ({private})\n"
    assert "pip install --user" not in calls, "a route known to fail is never tried"
    # once installed, it is found again without installing anything
    again = subprocess.run(
        ["sh", str(CHECKOUT / "scripts" / "ensure-uv")],
        env={"HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert again.stdout.strip() == str(private / "bin" / "uv") and again.stderr == ""


@pytest.mark.skipif(shutil.which("sh") is None, reason="needs a POSIX shell")
def test_an_externally_managed_python_without_venv_uses_break_system_packages_quietly(tmp_path: Path) -> None:
    done, calls = ensure_uv(tmp_path, managed=True, venv=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(tmp_path / "home" / ".local" / "bin" / "uv")
    assert "externally-managed-environment" not in done.stderr
    assert done.stderr.count("\n") == 1 and "--break-system-packages" in done.stderr
    assert calls.count("-m pip install") == 1


@pytest.mark.skipif(shutil.which("sh") is None, reason="needs a POSIX shell")
def test_no_route_says_what_to_do_in_one_line(tmp_path: Path) -> None:
    done, _calls = ensure_uv(tmp_path, managed=True, venv=False, pip=False)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.startswith("ensure-uv: could not install uv") and done.stderr.count("\n") == 1


@pytest.mark.skipif(
    shutil.which("make") is None or not (CHECKOUT / ".venv" / ".synced").exists(),
    reason="needs make and a synced .venv",
)
def test_a_warm_make_target_compiles_no_bytecode() -> None:
    """Only the sync step compiles: a make target run in a synced environment prints its own output and no
    "Bytecode compiled N files" (an implicit `uv run` sync with UV_COMPILE_BYTECODE recompiled every run)."""
    from crosscloud.cli import version

    done = subprocess.run(
        ["make", "-s", "-C", str(CHECKOUT), "cli", "ARGS=--version"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Bytecode compiled" not in done.stdout + done.stderr
    assert done.stdout.strip().endswith(f"crosscloud {version()}")
