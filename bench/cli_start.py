"""How long the command line takes to start.

  .venv/bin/python bench/cli_start.py [--runs 10]

Times, as wall clock from starting the process (median and worst of
``--runs``), on a migrated SQLite file with the demo area:

- ``teamaround --help`` and ``teamaround console --help``;
- ``teamaround console --as …`` in a terminal (a pseudo-terminal): until
  its prompt is shown, then until the answer to a first command (typed at
  once) is printed, which includes loading the database and the features;
- ``teamaround console`` reading a one-line script from a pipe, start to exit.

Python's bytecode cache is written first (as `pip install` does), so the
figures are those of an installed command, not of a first run.
"""

from __future__ import annotations

import argparse
import os
import pty
import select
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TEAMAROUND = str(Path(sys.executable).parent / "teamaround")
KIM = "kim.lee@example.org"


def timed(argv: list[str], env: dict[str, str], stdin: str | None = None) -> float:
    began = time.perf_counter()
    subprocess.run(argv, env=env, input=stdin, text=True, capture_output=True, check=True)
    return time.perf_counter() - began


def read_until(fd: int, marker: bytes, deadline: float) -> bytes:
    seen = b""
    while marker not in seen:
        left = deadline - time.perf_counter()
        if left <= 0:
            raise TimeoutError(f"no {marker!r} in {seen[-300:]!r}")
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            seen += os.read(fd, 65536)
    return seen


def in_a_terminal(env: dict[str, str]) -> tuple[float, float]:
    """Seconds to the prompt, and to the answer of a first command."""
    main, child = pty.openpty()
    began = time.perf_counter()
    proc = subprocess.Popen(
        [TEAMAROUND, "console", "--as", KIM], stdin=child, stdout=child, stderr=child, env=env
    )
    os.close(child)
    try:
        read_until(main, b"#general> ", began + 30)
        prompt = time.perf_counter() - began
        os.write(main, b"/action help\r")
        read_until(main, b"/action assign", began + 30)
        answer = time.perf_counter() - began
        os.write(main, b":quit\r")
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(main)
    return prompt, answer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="teamaround-cli-")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "MICROSOFT_", "TEAMAROUND_", "PYTHONDONTWRITEBYTECODE"))
    }
    env["TEAMAROUND_DATABASE_URL"] = f"sqlite+aiosqlite:///{folder}/cli.db"
    subprocess.run([TEAMAROUND, "demo", "seed"], env=env, check=True, capture_output=True)
    subprocess.run(  # writes the bytecode cache of everything the console loads
        [TEAMAROUND, "console", "--as", KIM],
        env=env,
        input="/action help\n",
        text=True,
        capture_output=True,
        check=True,
    )
    cases = {
        "teamaround --help": lambda: timed([TEAMAROUND, "--help"], env),
        "teamaround console --help": lambda: timed([TEAMAROUND, "console", "--help"], env),
        "console in a terminal: prompt shown": None,
        "console in a terminal: first answer": None,
        "console with a one-line script, start to exit": lambda: timed(
            [TEAMAROUND, "console", "--as", KIM], env, stdin="/action help\n"
        ),
    }
    results: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(args.runs):
        for name, run in cases.items():
            if run is not None:
                results[name].append(run())
        prompt, answer = in_a_terminal(env)
        results["console in a terminal: prompt shown"].append(prompt)
        results["console in a terminal: first answer"].append(answer)
    print(f"python {sys.version.split()[0]}; {os.cpu_count()} cores; {args.runs} runs each")
    print("| what | median | worst |")
    print("| --- | --- | --- |")
    for name, values in results.items():
        print(f"| {name} | {statistics.median(values):.2f} s | {max(values):.2f} s |")


if __name__ == "__main__":
    main()
