#!/usr/bin/env python3
"""Aegis agent bootstrap: runs inside the sandbox and drives the dispatch-gateway inner loop.

The orchestrator owns the LLM conversation. This script only sends the first ``generate`` request,
executes every ``dispatch`` it is handed and posts the ``dispatch_result`` back, until the gateway
answers ``final``. Standard library only, so it runs in any image that has a Python 3 interpreter.

Inputs: the environment (``AEGIS_*``, with the execution token and ``AEGIS_ITERATION_HISTORY``), and the
prompt in the file ``$AEGIS_INPUT_DIR/prompt``: never a command-line argument, which every user of the host can
read and which the kernel caps at 128 KiB. (A prompt given as the first argument, or on stdin when there is no
prompt file, is still read, for tools and tests.)

Exit codes: 0 final answer printed on stdout; 1 configuration, transport or protocol error;
2 the gateway refused the execution token (HTTP 401).
"""

import http.client
import json
import os
import posixpath
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse

GATEWAY_PATH = "/v1/dispatch-gateway"
PROMPT_FILE = "prompt"
SANDBOX_WORKSPACE = "/workspace"
DEFAULT_EXEC_TIMEOUT_SECS = 60
DEFAULT_MAX_OUTPUT_BYTES = 524288
DEFAULT_LLM_TIMEOUT_SECS = 300
READ_CHUNK = 65536
# After the command's process group was killed, how long to wait for the pipe readers: a descendant
# that left the group could keep a pipe open forever, and the agent must not hang on it.
READER_GRACE_SECS = 2.0


class BootstrapError(Exception):
    """A fatal error: the message goes to stderr and the script exits with ``exit_code``."""

    def __init__(self, message, exit_code=1):
        super().__init__(message)
        self.exit_code = exit_code


def _truthy(value):
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


DEBUG = _truthy(os.environ.get("AEGIS_BOOTSTRAP_DEBUG"))


def debug(message):
    if DEBUG:
        sys.stderr.write("[BOOTSTRAP DEBUG] %s\n" % message)
        sys.stderr.flush()


# --------------------------------------------------------------------------------------------- config

class Config:
    def __init__(self, env):
        self.execution_id = env.get("AEGIS_EXECUTION_ID", "")
        self.agent_id = env.get("AEGIS_AGENT_ID", "")
        self.iteration = _int_or(env.get("AEGIS_ITERATION"), 1, minimum=1)
        self.model_alias = (env.get("AEGIS_MODEL_ALIAS") or "").strip()
        if not self.model_alias:
            raise BootstrapError("AEGIS_MODEL_ALIAS is not set: the sandbox does not know which model to ask for")
        self.llm_timeout = _int_or(env.get("AEGIS_LLM_TIMEOUT_SECONDS"), DEFAULT_LLM_TIMEOUT_SECS, minimum=1)
        self.orchestrator_url = (env.get("AEGIS_ORCHESTRATOR_URL") or "").strip()
        self.dispatch_socket = (env.get("AEGIS_DISPATCH_SOCKET") or "").strip()
        if not self.orchestrator_url and not self.dispatch_socket:
            raise BootstrapError("neither AEGIS_ORCHESTRATOR_URL nor AEGIS_DISPATCH_SOCKET is set: "
                                 "no way to reach the dispatch gateway")
        self.token = env.get("AEGIS_EXECUTION_TOKEN") or ""
        self.workspace = env.get("AEGIS_WORKSPACE") or SANDBOX_WORKSPACE
        self.input_dir = (env.get("AEGIS_INPUT_DIR") or "").strip()
        self.history_raw = env.get("AEGIS_ITERATION_HISTORY") or ""


def read_input(input_dir, name):
    """The text of an input file, or None when there is none."""
    if not input_dir:
        return None
    path = os.path.join(input_dir, name)
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", errors="replace")
    except FileNotFoundError:
        return None
    except OSError as e:
        raise BootstrapError("cannot read the input file %s: %s" % (path, e))


def _int_or(text, default, minimum=None):
    try:
        value = int(str(text).strip())
    except (TypeError, ValueError):
        return default
    if minimum is not None and value < minimum:
        return default
    return value


# -------------------------------------------------------------------------------------------- history

def _unwrap(value):
    """Values may arrive JSON-encoded twice (a JSON string holding JSON): decode until it is not a string of JSON."""
    for _ in range(3):
        if not isinstance(value, str):
            return value
        stripped = value.strip()
        if not stripped or stripped[0] not in '"[{':
            return value
        try:
            value = json.loads(stripped)
        except ValueError:
            return value
    return value


def _as_text(value):
    value = _unwrap(value)
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, indent=2, ensure_ascii=False)


def parse_history(raw):
    if not raw or not raw.strip():
        return []
    try:
        history = _unwrap(json.loads(raw))
    except ValueError as e:
        debug("ignoring unparsable AEGIS_ITERATION_HISTORY: %s" % e)
        return []
    if not isinstance(history, list):
        debug("ignoring AEGIS_ITERATION_HISTORY that is not a JSON array")
        return []
    return [_unwrap(entry) for entry in history if isinstance(_unwrap(entry), dict)]


def build_prompt(prompt, history):
    """Prefix the task with what earlier iterations produced and why they were rejected (the refinement loop)."""
    if not history:
        return prompt
    lines = ["### Previous Attempts", ""]
    for index, attempt in enumerate(history, start=1):
        lines.append("#### Iteration %s" % attempt.get("iteration", index))
        if attempt.get("error") is not None:
            lines.append("Error: %s" % _as_text(attempt.get("error")))
        if attempt.get("output") is not None:
            lines.append("Output:\n%s" % _as_text(attempt.get("output")))
        if attempt.get("exit_code") is not None:
            lines.append("Exit code: %s" % attempt.get("exit_code"))
        feedback = _as_text(attempt.get("feedback"))
        reason = _as_text(attempt.get("validation_reason"))
        if feedback:
            lines.append("Feedback:\n%s" % feedback)
        elif reason:
            lines.append("Validation failed: %s" % reason)
        lines.append("")
    lines.extend(["### Current Attempt", "", prompt])
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------ transport

class UnixHTTPConnection(http.client.HTTPConnection):
    """HTTP over an AF_UNIX socket: lets an agent with no network reach its worker through a bind-mounted socket."""

    def __init__(self, socket_path, host="localhost", timeout=None):
        super().__init__(host, timeout=timeout)
        self.socket_path = socket_path

    def connect(self):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            if self.timeout is not None:
                sock.settimeout(self.timeout)
            sock.connect(self.socket_path)
        except OSError:
            sock.close()
            raise
        self.sock = sock


class GatewayClient:
    def __init__(self, config):
        self.config = config
        base = config.orchestrator_url or "http://localhost"
        parsed = urllib.parse.urlsplit(base)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise BootstrapError("AEGIS_ORCHESTRATOR_URL is not an http(s) URL: %r" % base)
        self.scheme = parsed.scheme
        self.host = parsed.hostname
        self.port = parsed.port
        self.path = parsed.path.rstrip("/") + GATEWAY_PATH
        self.target = (config.dispatch_socket and "unix:%s" % config.dispatch_socket) or base

    def _connection(self):
        timeout = self.config.llm_timeout
        if self.config.dispatch_socket:
            return UnixHTTPConnection(self.config.dispatch_socket, host=self.host, timeout=timeout)
        if self.scheme == "https":
            return http.client.HTTPSConnection(self.host, self.port, timeout=timeout)
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def post(self, message):
        body = json.dumps(message).encode("utf-8")
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.config.token:
            headers["Authorization"] = "Bearer " + self.config.token
        debug("POST %s%s type=%s" % (self.target, self.path, message.get("type")))
        conn = self._connection()
        try:
            conn.request("POST", self.path, body=body, headers=headers)
            response = conn.getresponse()
            status = response.status
            payload = response.read()
        except (OSError, http.client.HTTPException) as e:
            raise BootstrapError("dispatch gateway at %s unreachable: %s" % (self.target, e))
        finally:
            conn.close()
        text = payload.decode("utf-8", errors="replace")
        if status == 401:
            raise BootstrapError("dispatch gateway refused the execution token (HTTP 401): %s"
                                 % text.strip()[:500], exit_code=2)
        if status < 200 or status >= 300:
            raise BootstrapError("dispatch gateway answered HTTP %d: %s" % (status, text.strip()[:2000]))
        try:
            reply = json.loads(text)
        except ValueError:
            raise BootstrapError("dispatch gateway answered with invalid JSON: %s" % text.strip()[:500])
        if not isinstance(reply, dict):
            raise BootstrapError("dispatch gateway answered with a non-object JSON value")
        if reply.get("error"):
            raise BootstrapError("dispatch gateway reported an error: %s" % _as_text(reply.get("error")))
        return reply


# ------------------------------------------------------------------------------------------ execution

def map_cwd(cwd, workspace):
    """The protocol speaks of /workspace; in a process runtime the workspace lives elsewhere on the host."""
    cwd = cwd or SANDBOX_WORKSPACE
    if not cwd.startswith("/"):
        cwd = posixpath.join(SANDBOX_WORKSPACE, cwd)
    cwd = posixpath.normpath(cwd)
    if cwd == SANDBOX_WORKSPACE:
        return workspace
    if cwd.startswith(SANDBOX_WORKSPACE + "/"):
        return os.path.join(workspace, cwd[len(SANDBOX_WORKSPACE) + 1:])
    return cwd


class TailBuffer:
    """Keeps only the last ``cap`` bytes of a stream but counts all of them, so a chatty command cannot exhaust memory."""

    def __init__(self, cap):
        self.cap = max(cap, 0)
        self.data = bytearray()
        self.total = 0

    def feed(self, chunk):
        self.total += len(chunk)
        self.data += chunk
        if len(self.data) > self.cap:
            del self.data[:len(self.data) - self.cap]


def _pump(stream, buffer):
    try:
        while True:
            chunk = stream.read1(READ_CHUNK) if hasattr(stream, "read1") else stream.read(READ_CHUNK)
            if not chunk:
                break
            buffer.feed(chunk)
    except (OSError, ValueError):
        pass


def _decode_tail(data, keep, cut):
    tail = bytes(data[len(data) - keep:]) if 0 < keep < len(data) else (bytes(data) if keep > 0 else b"")
    if cut:
        # Cutting at a byte offset can split a multi-byte character: drop its orphaned continuation bytes.
        skip = 0
        while skip < min(3, len(tail)) and (tail[skip] & 0xC0) == 0x80:
            skip += 1
        tail = tail[skip:]
    return tail.decode("utf-8", errors="replace")


def _kill_group(proc):
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.kill()
    except OSError:
        pass


def run_exec(dispatch, workspace):
    command = dispatch.get("command")
    args = dispatch.get("args") or []
    timeout = _int_or(dispatch.get("timeout_secs"), DEFAULT_EXEC_TIMEOUT_SECS, minimum=1)
    max_bytes = _int_or(dispatch.get("max_output_bytes"), DEFAULT_MAX_OUTPUT_BYTES, minimum=0)
    if not isinstance(command, str) or not command:
        return -1, "", "[AEGIS] dispatch has no command", False
    if not isinstance(args, list):
        return -1, "", "[AEGIS] dispatch args must be a list", False
    # An argument vector never goes through a shell, so no argument can inject another command; a lone
    # command string is what the tool gave us (e.g. cmd.run) and is meant to be shell syntax.
    argv = [command] + [str(a) for a in args] if args else ["/bin/sh", "-c", command]
    env = dict(os.environ)
    for key, value in (dispatch.get("env_additions") or {}).items():
        env[str(key)] = "" if value is None else str(value)
    cwd = map_cwd(dispatch.get("cwd"), workspace)
    debug("exec %r cwd=%s timeout=%ss" % (argv, cwd, timeout))

    try:
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, start_new_session=True)
    except FileNotFoundError as e:
        return 127, "", "[AEGIS] cannot run command: %s" % e, False
    except OSError as e:
        return 126, "", "[AEGIS] cannot run command: %s" % e, False

    out, err = TailBuffer(max_bytes), TailBuffer(max_bytes)
    readers = [threading.Thread(target=_pump, args=(proc.stdout, out), daemon=True),
               threading.Thread(target=_pump, args=(proc.stderr, err), daemon=True)]
    for reader in readers:
        reader.start()
    timed_out = False
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
    # Kill the whole group in both cases: on timeout that is the point, and after a normal exit it removes
    # background children that would otherwise hold the pipes open and outlive the dispatch.
    _kill_group(proc)
    proc.wait()
    for reader in readers:
        reader.join(READER_GRACE_SECS)

    truncated = out.total + err.total > max_bytes
    keep = max_bytes // 2 if truncated else max_bytes
    stdout = _decode_tail(out.data, keep, truncated)
    stderr = _decode_tail(err.data, keep, truncated)
    if timed_out:
        message = "[AEGIS] Command timed out after %ds" % timeout
        if stderr and not stderr.endswith("\n"):
            stderr += "\n"
        return -1, stdout, stderr + message, truncated
    return proc.returncode, stdout, stderr, truncated


def run_dispatch(dispatch, workspace):
    started = time.monotonic()
    action = dispatch.get("action")
    if action == "exec":
        exit_code, stdout, stderr, truncated = run_exec(dispatch, workspace)
    else:
        exit_code, stdout, stderr, truncated = -1, "", "unknown_action:%s" % action, False
    return {
        "exit_code": exit_code,
        "stdout": stdout,
        "stderr": stderr,
        "duration_ms": int((time.monotonic() - started) * 1000),
        "truncated": truncated,
    }


# ------------------------------------------------------------------------------------------------ main

def read_prompt(argv, config):
    if len(argv) > 1:
        return argv[1]
    prompt = read_input(config.input_dir, PROMPT_FILE)
    if prompt is not None:
        return prompt
    return sys.stdin.read()


def main(argv):
    config = Config(os.environ)
    prompt = build_prompt(read_prompt(argv, config), parse_history(config.history_raw))
    client = GatewayClient(config)
    reply = client.post({
        "type": "generate",
        "agent_id": config.agent_id,
        "execution_id": config.execution_id,
        "iteration_number": config.iteration,
        "model_alias": config.model_alias,
        "prompt": prompt,
        "messages": [],
    })
    while reply.get("type") == "dispatch":
        dispatch_id = reply.get("dispatch_id")
        result = run_dispatch(reply, config.workspace)
        debug("dispatch %s exit_code=%s duration_ms=%s truncated=%s"
              % (dispatch_id, result["exit_code"], result["duration_ms"], result["truncated"]))
        message = {"type": "dispatch_result", "execution_id": config.execution_id, "dispatch_id": dispatch_id}
        message.update(result)
        reply = client.post(message)
    if reply.get("type") != "final":
        raise BootstrapError("dispatch gateway answered an unexpected message type: %r" % reply.get("type"))
    content = reply.get("content")
    sys.stdout.write(content if isinstance(content, str) else _as_text(content))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except BootstrapError as e:
        sys.stderr.write("[AEGIS] bootstrap: %s\n" % e)
        sys.stderr.flush()
        sys.exit(e.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
