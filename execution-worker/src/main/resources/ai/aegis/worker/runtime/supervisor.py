#!/usr/bin/env python3
"""Aegis sandbox supervisor: runs on the host, between the worker's JVM and one sandbox.

The worker starts it with an empty environment and a short command line (no secrets there), writes one line
of JSON to its stdin, the request, and keeps stdin open for as long as the sandbox may run. The supervisor

* starts the sandbox: bubblewrap (mode "bwrap") with its options read from a pipe (``bwrap --args FD``), so
  that neither the environment it sets nor anything else of the request appears in any /proc/PID/cmdline;
  or a plain process (mode "process") with exactly the requested environment;
* gives a bubblewrap sandbox that may use the network its own network namespace, connected to the outside by
  slirp4netns (outbound only, the host's loopback refused), before the sandboxed command starts;
* ends the sandbox, whole, when its stdin reaches end of file: the worker closed it, or the worker died (the
  kernel closes a dead process's descriptors). So a sandbox never outlives its worker, however the worker
  ended. In process mode it is a child subreaper, so that processes the agent detached stay its descendants.

Exit status: the sandboxed command's (128 + signal number for a signal); 125 when the sandbox could not be
set up (the reason on stderr); 137 when it was ended because stdin closed. Standard library only.
"""

import json
import os
import select
import signal
import subprocess
import sys
import threading
import time

SETUP_FAILED = 125
KILLED = 137
PR_SET_CHILD_SUBREAPER = 36
NS_GET_USERNS = 0xB701  # _IO(0xb7, 0x1): the user namespace that owns a namespace
SLIRP_MTU = 65520
STDERR_TAIL = 4000

_lock = threading.Lock()
_kill_actions = []


def fail(message):
    sys.stderr.write("[AEGIS] sandbox supervisor: %s\n" % message)
    sys.stderr.flush()


def on_kill(action):
    with _lock:
        _kill_actions.append(action)


def kill_everything():
    with _lock:
        actions = list(_kill_actions)
    for action in actions:
        try:
            action()
        except Exception:  # best effort: the next action must still run
            pass


def watch_stdin():
    """The worker holds the other end of stdin: end of file means it let go, or it is dead."""
    try:
        while os.read(0, 4096):
            pass
    except OSError:
        pass
    kill_everything()
    os._exit(KILLED)


def exit_status(returncode):
    return returncode if returncode >= 0 else 128 - returncode


# -------------------------------------------------------------------------------------------- process mode

def set_subreaper():
    """Orphans of the sandbox are re-parented to us instead of init, so they stay reachable (Linux only)."""
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def descendants(root):
    """Live descendants of ``root`` read from /proc (zombies left out); None when there is no /proc."""
    children = {}
    states = {}
    try:
        names = os.listdir("/proc")
    except OSError:
        return None
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name, "rb") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2:].split()
        if len(fields) < 2:
            continue
        pid = int(name)
        states[pid] = fields[0]
        children.setdefault(int(fields[1]), []).append(pid)
    found = []
    pending = [root]
    while pending:
        for child in children.get(pending.pop(), []):
            pending.append(child)
            if states.get(child) not in (b"Z", b"X"):
                found.append(child)
    return found


def reap_without_waiting():
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def kill_tree(group):
    """SIGKILL every descendant until none is left (bounded). Being their subreaper, we reach even those that
    started sessions of their own. Without /proc (not Linux), the sandbox's process group is what we can reach."""
    for _ in range(200):
        alive = descendants(os.getpid())
        if alive is None:
            try:
                os.killpg(group, signal.SIGKILL)
            except OSError:
                pass
            return
        if not alive:
            reap_without_waiting()
            return
        for pid in alive:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        reap_without_waiting()
        time.sleep(0.005)


def record_status(path, entry):
    with open(path, "a") as f:
        f.write(json.dumps(entry) + "\n")


def run_process(request):
    set_subreaper()
    try:
        child = subprocess.Popen(request["argv"], cwd=request.get("cwd"), env=request.get("env") or {},
                                 stdin=subprocess.DEVNULL, start_new_session=True, close_fds=True)
    except OSError as e:
        fail("cannot start %s: %s" % (request["argv"][0], e))
        return SETUP_FAILED
    on_kill(lambda: kill_tree(child.pid))
    record_status(request["status_file"], {"child-pid": child.pid})
    while True:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            status = 0
            break
        if pid == child.pid:
            break
        # an orphan the agent left behind, re-parented to us: reaped, not waited for
    kill_tree(child.pid)  # what the command left running in the background ends with it
    code = exit_status(os.waitstatus_to_exitcode(status))
    record_status(request["status_file"], {"exit-code": code})
    return code


# ---------------------------------------------------------------------------------------------- bwrap mode

class Slirp:
    """slirp4netns connected to the sandbox's network namespace; it exits when we close ``exit_w`` or die."""

    def __init__(self, process, exit_w, stderr_tail):
        self.process = process
        self.exit_w = exit_w
        self.stderr_tail = stderr_tail

    def stop(self):
        try:
            os.close(self.exit_w)
        except OSError:
            pass
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def kill(self):
        self.process.kill()


def read_tail(stream, tail):
    try:
        while True:
            chunk = stream.read(4096)
            if not chunk:
                return
            tail.extend(chunk)
            del tail[:max(0, len(tail) - STDERR_TAIL)]
    except (OSError, ValueError):
        pass


def start_slirp(network, child_pid):
    """Connects the sandbox's own network namespace to the outside; raises OSError with the reason."""
    net_fd = os.open("/proc/%d/ns/net" % child_pid, os.O_RDONLY)
    try:
        import fcntl
        # bwrap nests a second user namespace (--disable-userns); the one owning the network namespace is the
        # first, which no process stays in: ask the kernel for it.
        userns_fd = fcntl.ioctl(net_fd, NS_GET_USERNS)
    finally:
        os.close(net_fd)
    ready_r, ready_w = os.pipe()
    exit_r, exit_w = os.pipe()
    command = [network["slirp4netns"], "--configure", "--mtu=%d" % SLIRP_MTU, "--disable-host-loopback",
               "--enable-sandbox", "--enable-seccomp", "--userns-path=/proc/self/fd/%d" % userns_fd,
               "--ready-fd=%d" % ready_w, "--exit-fd=%d" % exit_r, str(child_pid), "tap0"]
    try:
        process = subprocess.Popen(command, pass_fds=(userns_fd, ready_w, exit_r), stdin=subprocess.DEVNULL,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={}, close_fds=True)
    except OSError:
        os.close(exit_w)
        raise
    finally:
        for fd in (userns_fd, ready_w, exit_r):
            os.close(fd)
    tail = bytearray()
    threading.Thread(target=read_tail, args=(process.stderr, tail), daemon=True).start()
    slirp = Slirp(process, exit_w, tail)
    on_kill(slirp.kill)
    timeout = network.get("timeout_ms", 10000) / 1000.0
    try:
        readable, _, _ = select.select([ready_r], [], [], timeout)
        ready = os.read(ready_r, 1) if readable else b""
    finally:
        os.close(ready_r)
    if ready != b"1":
        slirp.kill()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        why = bytes(tail).decode("utf-8", "replace").strip() or (
            "exited with %s" % process.returncode if process.returncode is not None
            else "not ready within %.0f s" % timeout)
        raise OSError("slirp4netns could not connect the sandbox's network: %s" % why)
    return slirp


def write_all(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def run_bwrap(request):
    args_r, args_w = os.pipe()
    status_r, status_w = os.pipe()
    passed = [args_r, status_w]
    options = ["--json-status-fd", str(status_w)]
    network = request.get("network")
    block_w = None
    if network:
        block_r, block_w = os.pipe()
        passed.append(block_r)
        options += ["--block-fd", str(block_r)]  # the command waits until its network is up
    try:
        bwrap = subprocess.Popen([request["bwrap"], "--args", str(args_r), "--"] + request["command"],
                                 pass_fds=passed, stdin=subprocess.DEVNULL, env={}, close_fds=True)
    except OSError as e:
        fail("cannot start %s: %s" % (request["bwrap"], e))
        return SETUP_FAILED
    finally:
        for fd in passed:
            os.close(fd)
    on_kill(bwrap.kill)  # --die-with-parent takes the whole sandbox (its pid namespace) down with it
    try:
        write_all(args_w, b"".join(a.encode("utf-8") + b"\0" for a in options + request["args"]))
    except BrokenPipeError:
        pass  # bwrap ended before it read its options: its exit status and stderr say why
    finally:
        os.close(args_w)
    slirp = None
    with os.fdopen(status_r, "rb") as status, open(request["status_file"], "ab") as record:
        first = status.readline()
        record.write(first)
        record.flush()
        if network:
            try:
                if first:
                    slirp = start_slirp(network, json.loads(first)["child-pid"])
                    write_all(block_w, b"1")
            except (OSError, ValueError, KeyError) as e:
                fail(str(e))
                bwrap.kill()
                bwrap.wait()
                return SETUP_FAILED
            finally:
                os.close(block_w)
        for line in status:
            record.write(line)
            record.flush()
    returncode = bwrap.wait()
    if slirp is not None:
        slirp.stop()
    return exit_status(returncode)


def main():
    line = sys.stdin.buffer.readline()
    try:
        request = json.loads(line)
    except ValueError as e:
        fail("unreadable request: %s" % e)
        return SETUP_FAILED
    threading.Thread(target=watch_stdin, daemon=True).start()
    if request.get("mode") == "process":
        return run_process(request)
    if request.get("mode") == "bwrap":
        return run_bwrap(request)
    fail("unknown mode %r" % request.get("mode"))
    return SETUP_FAILED


if __name__ == "__main__":
    try:
        code = main()
    except KeyboardInterrupt:
        code = 130
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
