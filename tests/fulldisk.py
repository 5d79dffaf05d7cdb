"""Run a scenario on a really full disk: a tiny tmpfs mounted in a private mount namespace (``unshare``).

Writing to ``/dev/full`` fails every write at once; a full disk lets some writes through and then fails, which
is what loses data. The namespace needs no root (a user namespace maps the caller to root inside it) and
vanishes with the process, so nothing is left mounted. Where ``unshare`` or tmpfs is not available, the test
is skipped.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from .conftest import ROOT

PRELUDE = '''
import json, os, subprocess, sys
from pathlib import Path
DISK = Path(sys.argv[1])
ROOT = Path(sys.argv[2])

def transferlaw(*args, stdout=subprocess.PIPE, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "transferlaw", *map(str, args)], cwd=cwd, stdout=stdout,
                          stderr=subprocess.PIPE, text=True, timeout=300)

def fill(room=0):
    """Fill the disk, then free ``room`` bytes again."""
    fd = os.open(DISK / "filler", os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        while os.write(fd, b"x" * 4096):
            pass
    except OSError:
        pass
    size = os.fstat(fd).st_size
    os.ftruncate(fd, max(0, size - room))
    os.close(fd)
'''


def on_small_disk(tmp_path: Path, script: str, size_kb: int = 2048) -> Any:
    """Run ``script`` (Python, after :data:`PRELUDE`) with a ``size_kb`` tmpfs at ``DISK``; what it prints last,
    read as JSON."""
    if sys.platform != "linux" or shutil.which("unshare") is None:
        pytest.skip("needs Linux and unshare")
    disk = tmp_path / "disk"
    disk.mkdir()
    code = PRELUDE + textwrap.dedent(script)
    shell = 'mount -t tmpfs -o size="$0"k tmpfs "$1" || exit 97; exec "$2" -c "$3" "$1" "$4"'
    done = subprocess.run(["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", shell, str(size_kb),
                           str(disk), sys.executable, code, str(ROOT)], capture_output=True, text=True, timeout=600)
    if done.returncode == 97 or "unshare:" in done.stderr:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])
