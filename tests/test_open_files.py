"""The open-file limit is raised to the hard one before the node serves, and a low one is
reported (a node left at a soft limit of 1,024 stopped accepting devices without a word)."""

from __future__ import annotations

import resource
import subprocess
import sys
import textwrap

from industryos.open_files import FEW_FILES

_HARD = resource.getrlimit(resource.RLIMIT_NOFILE)[1]


def _run(soft: int, hard: int) -> tuple[str, str]:
    """Call ``raise_open_file_limit`` in a process started with ``soft``/``hard``: its
    result, and what it logged."""
    script = textwrap.dedent(
        f"""
        import logging, resource
        logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
        resource.setrlimit(resource.RLIMIT_NOFILE, ({soft}, {hard}))
        from industryos.open_files import raise_open_file_limit
        limit = raise_open_file_limit()
        print(limit.before, limit.after, resource.getrlimit(resource.RLIMIT_NOFILE)[0])
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    return done.stdout.strip(), done.stderr


def test_the_soft_limit_is_raised_to_the_hard_one() -> None:
    result, logged = _run(1024, _HARD)
    assert result == f"1024 {_HARD} {_HARD}"
    if _HARD >= FEW_FILES:
        assert f"INFO open-file limit raised from 1024 to {_HARD}" in logged
        assert "WARNING" not in logged


def test_a_limit_already_at_the_hard_one_is_left_quietly() -> None:
    result, logged = _run(_HARD, _HARD)
    assert result == f"{_HARD} {_HARD} {_HARD}"
    assert "open-file limit" not in logged or _HARD < FEW_FILES


def test_a_low_hard_limit_is_reported() -> None:
    result, logged = _run(256, 512)
    assert result == "256 512 512"
    assert "WARNING the open-file limit is 512" in logged
    assert "LimitNOFILE=" in logged
