#!/usr/bin/env python3
"""Drives a program through a pseudo-terminal, for tests/cli/shell.test.mjs.

    python3 pty_driver.py STEPS.json -- PROGRAM ARGS...

STEPS is a JSON list of {"send": "text"} (written to the terminal as is: use "\r" for
Enter, "\x1b[A" for Up...) and {"expect": "python regex", "timeout": seconds} (waits until
the output since the previous expect matches). Prints one JSON object: {"ok", "failed_step",
"transcript", "exit_code"}. Everything is bounded in time: a stuck program is killed.
"""
import json
import os
import pty
import re
import select
import signal
import struct
import sys
import time
import fcntl
import termios


def main():
    steps = json.load(open(sys.argv[1]))
    argv = sys.argv[sys.argv.index("--") + 1:]
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(argv[0], argv)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    transcript = b""
    mark = 0  # expects look at the output after the previous match
    failed = None

    def read_for(seconds):
        nonlocal transcript
        end = time.monotonic() + seconds
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return
            r, _, _ = select.select([fd], [], [], left)
            if not r:
                return
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                return
            if not chunk:
                return
            transcript += chunk
            return

    for i, step in enumerate(steps):
        if "send" in step:
            os.write(fd, step["send"].encode())
            continue
        pattern = re.compile(step["expect"].encode(), re.S)
        deadline = time.monotonic() + float(step.get("timeout", 5))
        while True:
            m = pattern.search(transcript, mark)
            if m:
                mark = m.end()
                break
            if time.monotonic() > deadline:
                failed = i
                break
            read_for(min(0.1, max(0.0, deadline - time.monotonic())))
        if failed is not None:
            break

    # Let the program finish (it should, after the last step), bounded.
    exit_code = None
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        read_for(0.05)
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            exit_code = os.waitstatus_to_exitcode(status)
            break
    if exit_code is None:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    try:
        while True:
            r, _, _ = select.select([fd], [], [], 0.05)
            if not r:
                break
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            transcript += chunk
    except OSError:
        pass
    print(json.dumps({
        "ok": failed is None and exit_code is not None,
        "failed_step": failed,
        "transcript": transcript.decode("utf-8", "replace"),
        "exit_code": exit_code,
    }))


if __name__ == "__main__":
    main()
