"""Benchmark: SSHRunner against OpenSSH's ``ssh``, on the same sshd and forced command.

Run it from the repository's top directory (it needs /usr/sbin/sshd)::

    .venv/bin/python -m tests.benchmarks.bench_ssh [--runs 20] [--pty | --no-pty]

Each run is a new connection, the trivial forced command ``true``, and the
connection closed, alternating between the runner (in this process, after one
warm-up run that imports paramiko) and a new ``ssh`` process. It prints both
medians and their ratio; the target is a ratio of at most 1.5.

With ``--pty`` (the default) both ask for a terminal, as the upgrade triggers
do; without one, bash on the server reads ~/.bashrc for commands run by sshd,
which on some machines costs more than everything measured here.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from lpsigning_mojo.external.ssh import SSHRunner
from lpsigning_mojo.testing.standins.openssh import OpenSSHServer, make_key, sshd_missing_reason


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--pty", action=argparse.BooleanOptionalAction, default=True)
    args = parser.parse_args()
    missing = sshd_missing_reason()
    if missing:
        print(f"bench_ssh: cannot run: {missing}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="bench-ssh-") as name:
        directory = Path(name)
        key = directory / "id_ed25519"
        public = make_key(key, "bench")
        server = OpenSSHServer(directory / "sshd")
        server.authorize(public, options='command="true",restrict,pty')
        server.start()
        try:
            return bench(server, directory, key, args.runs, args.pty)
        finally:
            server.close()


def bench(server: OpenSSHServer, directory: Path, key: Path, runs: int, pty: bool) -> int:
    known_hosts = directory / "known_hosts"
    known_hosts.write_text(server.known_hosts_line())
    config = directory / "ssh_config"
    config.write_text(
        f"Host bench\n  HostName 127.0.0.1\n  Port {server.port}\n  User root\n"
        f"  IdentityFile {key}\n  IdentitiesOnly yes\n  IdentityAgent none\n"
        f"  UserKnownHostsFile {known_hosts}\n  GlobalKnownHostsFile /dev/null\n"
        "  BatchMode yes\n"
    )
    ssh = ["ssh", "-F", str(config), *(["-tt"] if pty else ["-T"]), "bench", "true"]

    def with_runner() -> None:
        with SSHRunner("bench", config_files=[config], allow_agent=False) as runner:
            if runner.run("true", pty=pty).exit_status != 0:
                raise SystemExit("bench_ssh: the runner's command failed")

    def with_openssh() -> None:
        done = subprocess.run(ssh, stdin=subprocess.DEVNULL, capture_output=True, check=False)
        if done.returncode != 0:
            raise SystemExit(f"bench_ssh: ssh failed: {done.stderr.decode().strip()}")

    def timed(function: object) -> float:
        start = time.perf_counter()
        function()  # type: ignore[operator]
        return time.perf_counter() - start

    with_runner()  # warm-up: imports paramiko and its crypto
    with_openssh()
    runner_times: list[float] = []
    openssh_times: list[float] = []
    for index in range(runs):
        pair = [(with_runner, runner_times), (with_openssh, openssh_times)]
        for function, times in pair if index % 2 == 0 else reversed(pair):
            times.append(timed(function))
    runner_median = statistics.median(runner_times)
    openssh_median = statistics.median(openssh_times)
    ratio = runner_median / openssh_median
    print(f"forced command 'true', {runs} runs each, alternating, {'with' if pty else 'no'} pty")
    print(f"SSHRunner (paramiko): median {runner_median * 1000:7.1f} ms")
    print(f"OpenSSH ssh:          median {openssh_median * 1000:7.1f} ms")
    print(f"ratio runner/ssh:     {ratio:.2f} (target <= 1.5)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
