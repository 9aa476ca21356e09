"""Helpers shared by the end-to-end tests: a free loopback port, waiting for
`meridian serve` to answer /health, and stopping a server process."""
import signal
import socket
import subprocess
import time
import urllib.request


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def wait_health(url, timeout=30):
    """True once GET url/health answers, False after timeout seconds."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url + "/health", timeout=1)
            return True
        except OSError:
            time.sleep(0.1)
    return False


def stop_process(proc, timeout=30):
    """SIGTERM (the graceful shutdown), then SIGKILL after timeout seconds."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
