"""Docker backend job semantics against the real engine: files, stdin, steps, limits, toolchains, concurrency,
and the docker-run-per-program baseline. (Attacks are in test_sandbox_docker.py.)"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import pytest

from sandbox.base import File, Job, Limits, Step
from tests.integration.sandbox_helpers import assert_slot_clean, docker_or_skip, pool_containers, run_one, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.docker]


@pytest.fixture(scope="module")
def pool():
    from sandbox.docker.backend import DockerBackend

    docker_or_skip()
    backend = DockerBackend(pool_size=2)
    yield backend
    backend.close()


def test_readonly_test_files_survive_tampering_and_are_recreated(pool):
    tests_py = File("tests.py", b"ORIGINAL = True\n")
    attack = (
        "import os\nfor action in (lambda: open('tests.py', 'w'), lambda: os.chmod('tests.py', 0o666),\n"
        "               lambda: os.unlink('tests.py'), lambda: os.rename('tests.py', 'x.py')):\n"
        "    try:\n        action()\n        print('DONE')\n    except PermissionError:\n        print('denied')\n"
        "open('evil.py', 'w').write('ORIGINAL = False')\n"
    )
    steps = (
        Step(argv=("python3", "-c", attack), name="attack", files=(tests_py,)),
        Step(argv=("python3", "-c", "import tests; print(tests.ORIGINAL)"), name="check", files=(tests_py,)),
    )
    attack_result, check_result = pool.execute(Job(steps=steps))
    assert attack_result.stdout == b"denied\n" * 4
    assert check_result.stdout == b"True\n"


def test_stdin_arrives_through_a_pipe_and_never_as_a_file(pool):
    nonce = b"nonce-5f1c0a2b9e"
    source = (
        "import os, stat, sys\nprint(stat.S_ISFIFO(os.fstat(0).st_mode))\nfound = []\n"
        "for top in ('/work', '/tmp', '/dev/shm'):\n    for root, _, names in os.walk(top):\n"
        "        for n in names:\n            p = os.path.join(root, n)\n"
        "            if b'nonce-' in open(p, 'rb').read() and n != 'main.py':\n                found.append(p)\n"
        "print(found)\nprint(sys.stdin.read())\n"
    )
    result = run_one(pool, source, stdin=nonce)
    assert result.stdout.decode().splitlines() == ["True", "[]", nonce.decode()]


def test_large_stdin_to_a_program_that_never_reads_it(pool):
    result = run_one(pool, "print('ignored stdin')", stdin=b"x" * (4 << 20))
    assert result.exit_code == 0 and result.stdout == b"ignored stdin\n"


def test_signal_exit_codes_and_stop_on_failure(pool):
    steps = (
        Step(argv=("python3", "-c", "import os, signal; os.kill(os.getpid(), signal.SIGSEGV)"), name="crash"),
        Step(argv=("python3", "-c", "print('must not run')"), name="after"),
    )
    crash, after = pool.execute(Job(steps=steps))
    assert crash.exit_code == 128 + 11 and not crash.timed_out
    assert after.skipped and after.exit_code is None and after.stdout == b""


def test_continue_after_failure_when_asked(pool):
    steps = (
        Step(argv=("python3", "-c", "raise SystemExit(3)"), name="fails", stop_on_failure=False),
        Step(argv=("python3", "-c", "print('ran')"), name="after"),
    )
    fails, after = pool.execute(Job(steps=steps))
    assert fails.exit_code == 3 and after.stdout == b"ran\n"


def test_hidden_files_are_removed_before_the_step(pool):
    if "hidden" not in Step.__dataclass_fields__:
        pytest.skip("sandbox.base.Step has no `hidden` field on this branch")
    steps = (
        Step(argv=("python3", "-c", "import os; os.mkdir('made'); open('made/x', 'w')"), files=(File("t.py", b""),)),
        Step(argv=("python3", "-c", "import os; print(sorted(os.listdir('.')))"), hidden=("t.py", "made")),
    )
    _, listing = pool.execute(Job(steps=steps))
    assert listing.stdout == b"[]\n"


def test_job_with_its_own_limits_gets_matching_container(pool):
    small = Limits(memory_mb=64, timeout_s=10)
    job = Job(
        steps=(
            Step(
                argv=("python3", "-c", "x = b'x' * (200 << 20)"),
            ),
        ),
        limits=small,
    )
    (result,) = pool.execute(job)
    assert result.oom_killed  # 200 MB is fine under the pool's 512 MB but not under this job's 64 MB
    assert run_one(pool, "x = b'x' * (200 << 20); print('fits')").stdout == b"fits\n"
    threads = (
        "import threading, time\nn = 0\ntry:\n    while True:\n"
        "        threading.Thread(target=time.sleep, args=(30,), daemon=True).start()\n        n += 1\n"
        "except RuntimeError:\n    print(n)\n"
    )
    job = Job(steps=(Step(argv=("python3", "-c", threads)),), limits=Limits(pids=16))
    (result,) = pool.execute(job)
    assert 8 <= int(result.stdout) <= 16 + 4  # lowered in place from 128 (+4: the supervisor's headroom)


LANGUAGE_PROGRAMS = [  # (file, source, compile argv or None, run argv)
    ("a.c", '#include <stdio.h>\nint main(void){puts("hi");return 0;}', ("gcc", "-O1", "a.c", "-o", "a"), ("./a",)),
    ("a.cpp", "#include <iostream>\nint main(){std::cout<<\"hi\\n\";}", ("g++", "a.cpp", "-o", "a"), ("./a",)),
    ("a.go", 'package main\nimport "fmt"\nfunc main(){fmt.Println("hi")}', ("go", "build", "-o", "a", "a.go"), ("./a",)),
    ("a.rs", 'fn main(){println!("hi");}', ("rustc", "a.rs", "-o", "a"), ("./a",)),
    ("Main.java", 'class Main{public static void main(String[] a){System.out.println("hi");}}', ("javac", "Main.java"),
     ("java", "-Xmx128m", "Main")),
    ("a.js", 'console.log("hi")', None, ("node", "a.js")),
]  # fmt: skip


@pytest.mark.parametrize(("name", "source", "compile_argv", "run_argv"), LANGUAGE_PROGRAMS, ids=lambda v: str(v)[:8])
def test_toolchains_compile_and_run(pool, name, source, compile_argv, run_argv):
    steps = [Step(argv=run_argv, name="run", timeout_s=20)]
    if compile_argv:
        steps.insert(0, Step(argv=compile_argv, name="compile", timeout_s=60))
    job = Job(steps=tuple(steps), files=(File(name, source.encode()),))
    results = pool.execute(job)
    assert [r.exit_code for r in results] == [0] * len(results), [r.stderr[-500:] for r in results]
    assert results[-1].stdout == b"hi\n"


def test_compile_error_is_a_failed_compile_step(pool):
    job = Job(
        steps=(Step(argv=("gcc", "a.c", "-o", "a"), name="compile"), Step(argv=("./a",), name="run")),
        files=(File("a.c", b"int main(void) { return undefined_name; }"),),
    )
    compile_result, run_result = pool.execute(job)
    assert compile_result.exit_code == 1 and b"undefined_name" in compile_result.stderr
    assert run_result.skipped


def test_concurrent_jobs_each_get_their_own_clean_container(pool):
    def job(i: int) -> bytes:
        source = f"import os\nassert os.listdir('/tmp') == []\nopen('/tmp/mine', 'w').write('{i}')\nprint({i})"
        return run_one(pool, source).stdout

    with ThreadPoolExecutor(max_workers=4) as executor:
        outputs = list(executor.map(job, range(12)))
    assert outputs == [f"{i}\n".encode() for i in range(12)]
    assert_slot_clean(pool)


def test_docker_run_backend_uses_and_removes_a_fresh_container():
    from bench.docker_run_backend import DockerRunBackend

    client = docker_or_skip()
    backend = DockerRunBackend()
    try:
        first = run_one(backend, "open('/tmp/left', 'w')\nimport socket\nprint(socket.gethostname())")
        second = run_one(backend, "import os\nprint(os.listdir('/tmp'))")
    finally:
        backend.close()
    assert first.stdout == b"sandbox\n" and second.stdout == b"[]\n"
    assert wait_for(lambda: not pool_containers(client, backend.pool_label))


def test_container_killed_mid_job_is_retried_once_in_a_fresh_one():
    import threading
    import time

    from sandbox.docker.backend import DockerBackend

    client = docker_or_skip()
    with DockerBackend(pool_size=1) as backend:
        (victim,) = pool_containers(client, backend.pool_label)
        killer = threading.Timer(0.5, victim.kill)
        killer.start()
        started = time.monotonic()
        result = run_one(backend, "import time\ntime.sleep(1.5)\nprint('done')")
        killer.join()
        assert result.exit_code == 0 and result.stdout == b"done\n"
        assert time.monotonic() - started >= 2.0 and backend.recycled == 1  # ran twice: killed once, then retried
        (idle,) = pool_containers(client, backend.pool_label)
        idle.kill()  # dies while idle: the next job must notice before using it
        running = {"status": "running", "id": idle.id}
        assert wait_for(lambda: not pool_containers(client, backend.pool_label, filters=running))
        assert run_one(backend, "print('fresh')").stdout == b"fresh\n"
        assert backend.recycled == 2


def test_containers_go_away_when_the_grader_is_killed(tmp_path):
    """A grader killed without close() (SIGKILL) leaves no container behind: the engine removes them itself."""
    import subprocess
    import sys

    client = docker_or_skip()
    script = (
        "import sys, time\nfrom sandbox.docker.backend import DockerBackend\n"
        "backend = DockerBackend(pool_size=2)\nprint(backend.pool_label, flush=True)\ntime.sleep(60)\n"
    )
    grader = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, cwd=os.getcwd())
    label = grader.stdout.readline().decode().strip()
    assert len(pool_containers(client, label)) == 2
    grader.kill()
    grader.wait()
    assert wait_for(lambda: not pool_containers(client, label), timeout_s=20)
