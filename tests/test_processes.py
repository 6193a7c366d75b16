"""The decoder processes' fork server (:mod:`analyzer._base.processes`): started early by
``start_worker_server``, it is the one the pool's workers come from, and neither it nor they
run the caller's script again (a script without an ``if __name__ == "__main__"`` guard)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import os, sys
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import forkserver
    from analyzer._base.processes import start_worker_server, worker_context

    print("script ran in", os.getpid(), flush=True)  # at module level: no __main__ guard
    start_worker_server()
    server = forkserver._forkserver._forkserver_pid
    with ProcessPoolExecutor(2, mp_context=worker_context()) as pool:
        parents = {f.result() for f in [pool.submit(os.getppid) for _ in range(4)]}
    print("server", server, "parents", sorted(parents), flush=True)
    """
)


def test_the_early_server_is_the_workers_parent_and_the_script_runs_once(tmp_path):
    script = tmp_path / "no_guard.py"
    script.write_text(SCRIPT)
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert sum(line.startswith("script ran") for line in lines) == 1, done.stdout
    (last,) = [line for line in lines if line.startswith("server")]
    words = last.split()
    server = words[1]
    assert server != "None"
    assert last.endswith(f"parents [{server}]"), last  # every worker forked from that server
