#!/usr/bin/env python3
"""Aegis agent bootstrap: runs inside the sandbox and drives the dispatch-gateway inner loop.

The orchestrator owns the LLM conversation. This script only sends the first ``generate`` request,
executes every ``dispatch`` it is handed and posts the ``dispatch_result`` back, until the gateway
answers ``final``. Standard library only, so it runs in any image that has a Python 3 interpreter.

Inputs: the environment (``AEGIS_*``, with the execution token and ``AEGIS_ITERATION_HISTORY``), and the
prompt in the file ``$AEGIS_INPUT_DIR/prompt``: never a command-line argument, which every user of the host can
read and which the kernel caps at 128 KiB. (A prompt given as the first argument, or on stdin when there is no
prompt file, is still read, for tools and tests.)

With ``AEGIS_SMCP_ENABLED`` the script first attests a key pair it made itself (``/v1/smcp/attest``), and signs
every ``invoke`` dispatch into an SMCP envelope for ``/v1/smcp/invoke``. ``fs`` dispatches are file operations on
the workspace, done here.

Exit codes: 0 final answer printed on stdout; 1 configuration, transport, protocol or attestation error;
2 the gateway refused the execution token (HTTP 401).
"""

import base64
import errno
import hashlib
import http.client
import json
import os
import posixpath
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
import urllib.parse

GATEWAY_PATH = "/v1/dispatch-gateway"
SMCP_ATTEST_PATH = "/v1/smcp/attest"
SMCP_INVOKE_PATH = "/v1/smcp/invoke"
SMCP_PROTOCOL = "smcp/v1"
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
        self.smcp_enabled = _truthy(env.get("AEGIS_SMCP_ENABLED"))


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


# ====================================================================================== Ed25519 (begin)
# RFC 8032 Ed25519, signing and public-key derivation only, in pure Python: the standard library has no Ed25519
# and the sandbox images have nothing but the standard library. The key pair is born here, from os.urandom, and
# the private half never leaves this process: the worker only ever learns the public key (sent at attestation),
# so nothing outside the sandbox can sign in the agent's name. Not constant-time (Python big integers cannot be):
# acceptable for a key that lives only as long as one execution, inside the sandbox that uses it.

_ED_P = 2 ** 255 - 19
_ED_L = 2 ** 252 + 27742317777372353535851937790883648493
_ED_D = -121665 * pow(121666, _ED_P - 2, _ED_P) % _ED_P
_ED_D2 = 2 * _ED_D % _ED_P
_ED_SQRT_M1 = pow(2, (_ED_P - 1) // 4, _ED_P)


def _ed_recover_x(y, sign):
    x2 = (y * y - 1) * pow(_ED_D * y * y + 1, _ED_P - 2, _ED_P) % _ED_P
    x = pow(x2, (_ED_P + 3) // 8, _ED_P)
    if (x * x - x2) % _ED_P != 0:
        x = x * _ED_SQRT_M1 % _ED_P
    if (x & 1) != sign:
        x = _ED_P - x
    return x


_ED_GY = 4 * pow(5, _ED_P - 2, _ED_P) % _ED_P
_ED_GX = _ed_recover_x(_ED_GY, 0)
# Points in extended twisted Edwards coordinates (X, Y, Z, T): x = X/Z, y = Y/Z, x*y = T/Z.
_ED_IDENTITY = (0, 1, 1, 0)
_ED_BASE = (_ED_GX, _ED_GY, 1, _ED_GX * _ED_GY % _ED_P)


def _ed_add(p1, p2):
    # RFC 8032 §5.1.4: complete for a = -1 and non-square d, so it also adds a point to itself or to the identity.
    x1, y1, z1, t1 = p1
    x2, y2, z2, t2 = p2
    p = _ED_P
    a = (y1 - x1) * (y2 - x2) % p
    b = (y1 + x1) * (y2 + x2) % p
    c = t1 * _ED_D2 * t2 % p
    d = 2 * z1 * z2 % p
    e, f, g, h = b - a, d - c, d + c, b + a
    return e * f % p, g * h % p, f * g % p, e * h % p


def _ed_double(p1):
    x1, y1, z1, _ = p1
    p = _ED_P
    a = x1 * x1 % p
    b = y1 * y1 % p
    c = 2 * z1 * z1 % p
    h = a + b
    e = h - (x1 + y1) * (x1 + y1) % p
    g = a - b
    f = c + g
    return e * f % p, g * h % p, f * g % p, e * h % p


# Fixed-base comb: _ED_TABLE[i][j] = j * 16**i * B for the 64 nibble positions of a scalar below 2**256, so a
# scalar multiplication of B is at most 64 additions and no doubling. Built on first use (about 1000 additions).
_ED_TABLE = []


def _ed_table():
    if not _ED_TABLE:
        rows = []
        base = _ED_BASE
        for _ in range(64):
            row = [_ED_IDENTITY, base]
            for _ in range(14):
                row.append(_ed_add(row[-1], base))
            rows.append(row)
            for _ in range(4):
                base = _ed_double(base)
        _ED_TABLE.extend(rows)
    return _ED_TABLE


def _ed_mul_base(scalar):
    table = _ed_table()
    point = _ED_IDENTITY
    i = 0
    while scalar:
        nibble = scalar & 15
        if nibble:
            point = _ed_add(point, table[i][nibble])
        scalar >>= 4
        i += 1
    return point


def _ed_encode(point):
    x, y, z, _ = point
    z_inv = pow(z, _ED_P - 2, _ED_P)
    x, y = x * z_inv % _ED_P, y * z_inv % _ED_P
    return (y | ((x & 1) << 255)).to_bytes(32, "little")


def _ed_expand(seed):
    if not isinstance(seed, (bytes, bytearray)) or len(seed) != 32:
        raise ValueError("an Ed25519 seed is 32 bytes")
    digest = hashlib.sha512(bytes(seed)).digest()
    scalar = int.from_bytes(digest[:32], "little")
    scalar &= (1 << 254) - 8
    scalar |= 1 << 254
    return scalar, digest[32:]


def ed25519_public_key(seed):
    """The 32-byte public key of a 32-byte private seed (RFC 8032 §5.1.5)."""
    scalar, _ = _ed_expand(seed)
    return _ed_encode(_ed_mul_base(scalar))


def ed25519_sign(seed, message):
    """The 64-byte Ed25519 signature of ``message`` (bytes) under the 32-byte private seed (RFC 8032 §5.1.6)."""
    scalar, prefix = _ed_expand(seed)
    message = bytes(message)
    public = _ed_encode(_ed_mul_base(scalar))
    r = int.from_bytes(hashlib.sha512(prefix + message).digest(), "little") % _ED_L
    big_r = _ed_encode(_ed_mul_base(r))
    k = int.from_bytes(hashlib.sha512(big_r + public + message).digest(), "little") % _ED_L
    s = (r + k * scalar) % _ED_L
    return big_r + s.to_bytes(32, "little")

# ======================================================================================== Ed25519 (end)


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
    """The worker's internal listener: the dispatch gateway and the SMCP routes, all on the same socket or URL."""

    def __init__(self, config):
        self.config = config
        base = config.orchestrator_url or "http://localhost"
        parsed = urllib.parse.urlsplit(base)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise BootstrapError("AEGIS_ORCHESTRATOR_URL is not an http(s) URL: %r" % base)
        self.scheme = parsed.scheme
        self.host = parsed.hostname
        self.port = parsed.port
        self.base_path = parsed.path.rstrip("/")
        self.path = self.base_path + GATEWAY_PATH
        self.target = (config.dispatch_socket and "unix:%s" % config.dispatch_socket) or base

    def _connection(self):
        timeout = self.config.llm_timeout
        if self.config.dispatch_socket:
            return UnixHTTPConnection(self.config.dispatch_socket, host=self.host, timeout=timeout)
        if self.scheme == "https":
            return http.client.HTTPSConnection(self.host, self.port, timeout=timeout)
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def exchange(self, route, message, what, with_retry_after=False):
        """POSTs ``message`` as JSON to ``route`` (a path such as /v1/smcp/attest) with the execution token.

        Returns ``(status, body text)`` whatever the status (and the Retry-After seconds, or None, when
        ``with_retry_after``); raises BootstrapError when the worker cannot be reached.
        """
        path = self.base_path + route
        body = json.dumps(message).encode("utf-8")
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.config.token:
            headers["Authorization"] = "Bearer " + self.config.token
        debug("POST %s%s type=%s" % (self.target, path, message.get("type")))
        conn = self._connection()
        try:
            conn.request("POST", path, body=body, headers=headers)
            response = conn.getresponse()
            status = response.status
            retry_after = _seconds(response.getheader("Retry-After"))
            payload = response.read()
        except (OSError, http.client.HTTPException) as e:
            raise BootstrapError("%s at %s unreachable: %s" % (what, self.target, e))
        finally:
            conn.close()
        text = payload.decode("utf-8", errors="replace")
        return (status, text, retry_after) if with_retry_after else (status, text)

    def post(self, message):
        """One dispatch-gateway round trip: the orchestrator's next message, or BootstrapError."""
        status, text = self.exchange(GATEWAY_PATH, message, "dispatch gateway")
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


# ----------------------------------------------------------------------------------------------- SMCP

# How long an attestation answered 503 (the session could not be made durable yet) is tried again.
ATTEST_RETRY_SECONDS = 120


def _seconds(header):
    """A Retry-After header's delay in seconds (the delta form), or None."""
    try:
        return max(0.0, min(float(header), 30.0)) if header is not None else None
    except ValueError:
        return None


def canonical_json(value):
    """The bytes SMCP signs: keys sorted at every level, no whitespace, UTF-8 without escapes (as serde_json)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def rfc3339(unix_seconds):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(unix_seconds))


class SmcpSession:
    """This sandbox's SMCP identity: a key pair made here, attested once, then signing every tool call."""

    def __init__(self, client, config, env):
        self.client = client
        self.config = config
        self.container_id = env.get("AEGIS_CONTAINER_ID") or env.get("HOSTNAME") or ""
        self.seed = os.urandom(32)
        self.public_key = ed25519_public_key(self.seed)
        self.security_token = None
        self.session_id = None
        self.expires_at = None

    def attest(self):
        request = {
            "agent_id": self.config.agent_id,
            "execution_id": self.config.execution_id,
            "container_id": self.container_id,
            "agent_public_key": base64.b64encode(self.public_key).decode("ascii"),
        }
        # A 503 means the worker could not make the session durable (its Kafka partition is moving to another
        # broker, say): nothing was granted, so the attestation is tried again, as Retry-After asks, for a while.
        deadline = time.monotonic() + ATTEST_RETRY_SECONDS
        wait = 1.0
        while True:
            status, text, retry_after = self.client.exchange(SMCP_ATTEST_PATH, request, "SMCP attestation",
                                                             with_retry_after=True)
            if status != 503 or time.monotonic() + wait > deadline:
                break
            debug("SMCP attestation: HTTP 503, trying again in %.1f s" % (retry_after or wait))
            time.sleep(min(retry_after or wait, max(0.0, deadline - time.monotonic())))
            wait = min(wait * 2, 5.0)
        if status != 200:
            raise BootstrapError("SMCP attestation failed: HTTP %d: %s" % (status, text.strip()[:2000]))
        try:
            reply = json.loads(text)
        except ValueError:
            reply = None
        token = reply.get("security_token") if isinstance(reply, dict) else None
        session_id = reply.get("session_id") if isinstance(reply, dict) else None
        if not isinstance(token, str) or not token or not isinstance(session_id, str) or not session_id:
            raise BootstrapError("SMCP attestation failed: HTTP 200 without security_token and session_id: %s"
                                 % text.strip()[:2000])
        self.security_token = token
        self.session_id = session_id
        self.expires_at = reply.get("expires_at")
        debug("SMCP session %s attested, expires at %s" % (session_id, self.expires_at))

    def envelope(self, payload, now=None):
        now = int(time.time()) if now is None else int(now)
        signed = canonical_json({"payload": payload, "security_token": self.security_token, "timestamp": now})
        return {
            "protocol": SMCP_PROTOCOL,
            "security_token": self.security_token,
            "timestamp": rfc3339(now),
            "payload": payload,
            "signature": base64.b64encode(ed25519_sign(self.seed, signed)).decode("ascii"),
        }

    def invoke(self, call_id, name, arguments):
        """Calls a tool through SMCP: ``("result", value)`` or ``("error", code, message)``, never an exception."""
        payload = {"jsonrpc": "2.0", "id": call_id, "method": "tools/call",
                   "params": {"name": name, "arguments": arguments}}
        try:
            status, text = self.client.exchange(SMCP_INVOKE_PATH, self.envelope(payload), "SMCP invoke")
        except BootstrapError as e:
            return "error", -1, str(e)
        try:
            reply = json.loads(text)
        except ValueError:
            return "error", -1, "SMCP invoke answered HTTP %d without JSON: %s" % (status, text.strip()[:500])
        if isinstance(reply, dict) and isinstance(reply.get("error"), dict):
            error = reply["error"]
            code = error.get("code")
            code = code if isinstance(code, int) and not isinstance(code, bool) else -1
            message = error.get("message")
            return "error", code, message if isinstance(message, str) else _as_text(message)
        if isinstance(reply, dict) and "result" in reply:
            return ("result", reply["result"])
        return "error", -1, "SMCP invoke answered HTTP %d with neither result nor error: %s" % (
            status, text.strip()[:500])


def smcp_error(code, message):
    return {"error": {"type": "smcp_error", "code": code, "message": message}}


def run_invoke(dispatch, workspace, smcp):
    """An ``invoke`` dispatch: the tool call goes, signed, to the worker; a dispatch it hands back runs here."""
    if smcp is None:
        return smcp_error(-1, "SMCP is not enabled in this sandbox (AEGIS_SMCP_ENABLED)")
    name = dispatch.get("name")
    if not isinstance(name, str) or not name:
        return smcp_error(-1, "invoke dispatch without a tool name")
    arguments = dispatch.get("arguments")
    outcome = smcp.invoke(dispatch.get("dispatch_id"), name, {} if arguments is None else arguments)
    if outcome[0] == "error":
        return smcp_error(outcome[1], outcome[2])
    result = outcome[1]
    if isinstance(result, dict) and result.get("status") == "dispatch_required":
        inner = result.get("dispatch")
        if isinstance(inner, dict) and inner.get("action") in ("exec", "fs"):
            return run_action(inner, workspace)
        return smcp_error(-1, "dispatch_required without an exec or fs dispatch: %s" % _as_text(inner)[:500])
    return {"result": result}


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


def exec_result(dispatch, workspace):
    started = time.monotonic()
    exit_code, stdout, stderr, truncated = run_exec(dispatch, workspace)
    return {
        "exit_code": exit_code,
        "stdout": stdout,
        "stderr": stderr,
        "duration_ms": int((time.monotonic() - started) * 1000),
        "truncated": truncated,
    }


# ------------------------------------------------------------------------------------------ fs action
# File operations on the workspace, applied here where the workspace is. Paths arrive as /workspace/...; whatever
# they name must resolve (symbolic links followed, os.path.realpath) to the workspace root or below it, so a link
# planted in the workspace cannot lead an fs call out of it. This keeps fs.* to its declared boundary; it is not a
# privilege boundary, since the script runs with the agent's own rights.

FS_MAX_ENTRIES = 1000
FS_MAX_MATCHES = 1000
FS_MAX_LINE_CHARS = 500
FS_GREP_MAX_FILE_BYTES = 10 * 1024 * 1024


class FsError(Exception):
    def __init__(self, kind, message):
        super().__init__(message)
        self.kind = kind
        self.message = message


def _fs_lexical(path, root):
    """The host path a /workspace path names, with no symbolic link resolved."""
    if not isinstance(path, str) or not path:
        raise FsError("invalid_arguments", "path is required")
    if "\x00" in path:
        raise FsError("invalid_arguments", "path contains a NUL byte")
    if ".." in path.split("/"):
        raise FsError("path_traversal_attempt", "path %s contains '..'" % path)
    norm = posixpath.normpath(path)
    if norm == SANDBOX_WORKSPACE:
        return root
    if norm.startswith(SANDBOX_WORKSPACE + "/"):
        return os.path.join(root, norm[len(SANDBOX_WORKSPACE) + 1:])
    raise FsError("path_traversal_attempt", "path %s is outside %s" % (path, SANDBOX_WORKSPACE))


def _fs_within(real, root):
    return real == root or real.startswith(root.rstrip("/") + "/")


def _fs_resolve(lexical):
    """realpath of ``lexical``; for a target that does not exist yet, realpath of its nearest existing ancestor."""
    head, rest = lexical, []
    while not os.path.lexists(head):
        parent = os.path.dirname(head)
        if parent == head:
            break
        rest.append(os.path.basename(head))
        head = parent
    real = os.path.realpath(head)
    for name in reversed(rest):
        real = os.path.join(real, name)
    return real


def _fs_contained(path, root):
    real = _fs_resolve(_fs_lexical(path, root))
    if not _fs_within(real, root):
        raise FsError("path_traversal_attempt", "path %s resolves outside the workspace" % path)
    return real


def _fs_string(dispatch, key, allow_empty=True):
    value = dispatch.get(key)
    if not isinstance(value, str) or (not allow_empty and not value):
        raise FsError("invalid_arguments", "%s must be a%s string" % (key, "" if allow_empty else " non-empty"))
    return value


def _fs_regular(real, path):
    st = os.stat(real)
    if stat.S_ISDIR(st.st_mode):
        raise FsError("invalid_arguments", "%s is a directory" % path)
    if not stat.S_ISREG(st.st_mode):
        raise FsError("invalid_arguments", "%s is not a regular file" % path)
    return st


def _fs_write_bytes(real, data):
    os.makedirs(os.path.dirname(real), exist_ok=True)
    fd = os.open(real, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), 0o666)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    return len(data)


def _trim_partial_utf8(data):
    """Drops a multi-byte UTF-8 character that a byte cut left incomplete at the end."""
    for back in range(1, min(4, len(data)) + 1):
        lead = data[-back]
        if lead & 0xC0 == 0x80:
            continue
        need = 2 if lead & 0xE0 == 0xC0 else 3 if lead & 0xF0 == 0xE0 else 4 if lead & 0xF8 == 0xF0 else 1
        return data[:-back] if need > back else data
    return data


def fs_read(dispatch, root):
    path = dispatch.get("path")
    real = _fs_contained(path, root)
    max_bytes = _int_or(dispatch.get("max_output_bytes"), DEFAULT_MAX_OUTPUT_BYTES, minimum=0)
    st = _fs_regular(real, path)
    with open(real, "rb") as f:
        data = f.read(max_bytes + 1)
    truncated = len(data) > max_bytes
    if truncated:
        data = _trim_partial_utf8(data[:max_bytes])
    return {"status": "success", "path": path, "content": data.decode("utf-8", errors="replace"),
            "size_bytes": st.st_size, "truncated": truncated}


def fs_write(dispatch, root):
    path = dispatch.get("path")
    real = _fs_contained(path, root)
    content = _fs_string(dispatch, "content")
    if os.path.isdir(real):
        raise FsError("invalid_arguments", "%s is a directory" % path)
    return {"status": "success", "path": path, "bytes_written": _fs_write_bytes(real, content.encode("utf-8"))}


def _fs_file_type(entry):
    if entry.is_symlink():
        return "symlink"
    if entry.is_dir(follow_symlinks=False):
        return "dir"
    if entry.is_file(follow_symlinks=False):
        return "file"
    return "other"


def fs_list(dispatch, root):
    path = dispatch.get("path")
    real = _fs_contained(path, root)
    if not os.path.isdir(real):
        if not os.path.lexists(real):
            raise FsError("not_found", "%s does not exist" % path)
        raise FsError("invalid_arguments", "%s is not a directory" % path)
    with os.scandir(real) as it:
        found = sorted(it, key=lambda e: e.name)
    entries = []
    for entry in found[:FS_MAX_ENTRIES]:
        file_type = _fs_file_type(entry)
        try:
            size = 0 if file_type == "dir" else entry.stat(follow_symlinks=False).st_size
        except OSError:
            size = 0
        entries.append({"name": entry.name, "file_type": file_type, "size_bytes": size})
    return {"status": "success", "path": path, "entries": entries, "truncated": len(found) > FS_MAX_ENTRIES}


def fs_create_dir(dispatch, root):
    path = dispatch.get("path")
    real = _fs_contained(path, root)
    if os.path.lexists(real) and not os.path.isdir(real):
        raise FsError("invalid_arguments", "%s exists and is not a directory" % path)
    os.makedirs(real, exist_ok=True)
    return {"status": "success", "path": path}


def fs_delete(dispatch, root):
    path = dispatch.get("path")
    lexical = _fs_lexical(path, root)
    if lexical == root:
        raise FsError("invalid_arguments", "refusing to delete the workspace root")
    # The parent must resolve inside the workspace; the last component is never followed, so a symbolic link is
    # removed itself and not what it points to.
    parent = _fs_resolve(os.path.dirname(lexical))
    if not _fs_within(parent, root):
        raise FsError("path_traversal_attempt", "path %s resolves outside the workspace" % path)
    target = os.path.join(parent, os.path.basename(lexical))
    recursive = dispatch.get("recursive")
    recursive = recursive is True or (isinstance(recursive, str) and _truthy(recursive))
    try:
        st = os.lstat(target)
    except FileNotFoundError:
        raise FsError("not_found", "%s does not exist" % path)
    if stat.S_ISDIR(st.st_mode):
        if recursive:
            shutil.rmtree(target)
        else:
            try:
                os.rmdir(target)
            except OSError as e:
                if e.errno in (errno.ENOTEMPTY, errno.EEXIST):
                    raise FsError("invalid_arguments", "%s is a non-empty directory: pass recursive: true" % path)
                raise
    else:
        os.unlink(target)
    return {"status": "success", "path": path}


def fs_edit(dispatch, root):
    path = dispatch.get("path")
    real = _fs_contained(path, root)
    target = _fs_string(dispatch, "target_content", allow_empty=False)
    replacement = _fs_string(dispatch, "replacement_content")
    _fs_regular(real, path)
    with open(real, "rb") as f:
        raw = f.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise FsError("invalid_arguments", "%s is not UTF-8 text" % path)
    count = text.count(target)
    if count != 1:
        raise FsError("invalid_arguments", "target_content must occur exactly once in %s, found %d occurrences"
                      % (path, count))
    data = text.replace(target, replacement, 1).encode("utf-8")
    return {"status": "success", "path": path, "bytes_written": _fs_write_bytes(real, data)}


def _grep_files(real):
    """``real`` itself when it is a file, else the files below it in name order (symlinked directories not entered)."""
    if not os.path.isdir(real):
        yield real
        return
    for directory, dirnames, filenames in os.walk(real, followlinks=False):
        dirnames.sort()
        for name in sorted(filenames):
            yield os.path.join(directory, name)


def fs_grep(dispatch, root):
    pattern = _fs_string(dispatch, "pattern", allow_empty=False)
    path = dispatch.get("path") or SANDBOX_WORKSPACE
    real = _fs_contained(path, root)
    if not os.path.exists(real):
        raise FsError("not_found", "%s does not exist" % path)
    try:
        regex = re.compile(pattern)
    except re.error as e:
        raise FsError("invalid_arguments", "invalid pattern: %s" % e)
    matches, truncated = [], False
    for candidate in _grep_files(real):
        resolved = os.path.realpath(candidate)
        if not _fs_within(resolved, root):
            continue
        try:
            st = os.stat(resolved)
            if not stat.S_ISREG(st.st_mode) or st.st_size > FS_GREP_MAX_FILE_BYTES:
                continue
            with open(resolved, "rb") as f:
                text = f.read().decode("utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        shown = SANDBOX_WORKSPACE + candidate[len(root):] if _fs_within(candidate, root) else path
        for number, line in enumerate(text.split("\n"), start=1):
            line = line[:-1] if line.endswith("\r") else line
            if regex.search(line):
                if len(matches) == FS_MAX_MATCHES:
                    truncated = True
                    break
                matches.append({"file": shown, "line_number": number, "line": line[:FS_MAX_LINE_CHARS]})
        if truncated:
            break
    return {"status": "success", "matches": matches, "count": len(matches), "truncated": truncated}


FS_OPS = {"read": fs_read, "write": fs_write, "list": fs_list, "create_dir": fs_create_dir, "delete": fs_delete,
          "edit": fs_edit, "grep": fs_grep}


def run_fs(dispatch, workspace):
    """An ``fs`` dispatch: ``{"result": {...}}`` or ``{"error": {"type", "message"}}``, never an exception."""
    op = dispatch.get("op")
    path = dispatch.get("path")
    try:
        handler = FS_OPS.get(op)
        if handler is None:
            raise FsError("invalid_arguments", "unknown fs op: %r" % (op,))
        root = os.path.realpath(workspace)
        if not os.path.isdir(root):
            raise FsError("io_error", "the workspace %s is not a directory" % workspace)
        return {"result": handler(dispatch, root)}
    except FsError as e:
        return {"error": {"type": e.kind, "message": e.message}}
    except FileNotFoundError as e:
        return {"error": {"type": "not_found", "message": "%s: %s" % (path, e.strerror)}}
    except (IsADirectoryError, NotADirectoryError, FileExistsError) as e:
        return {"error": {"type": "invalid_arguments", "message": "%s: %s" % (path, e.strerror)}}
    except OSError as e:
        return {"error": {"type": "io_error", "message": "%s: %s" % (path, e.strerror or e)}}
    except Exception as e:  # a bug here must not end the agent's loop
        return {"error": {"type": "io_error", "message": "%s: %s" % (path, e)}}


# ------------------------------------------------------------------------------------------- dispatch

def run_action(dispatch, workspace):
    """The fields of the dispatch_result for an ``exec`` or ``fs`` action (whoever asked for it)."""
    action = dispatch.get("action")
    if action == "exec":
        return exec_result(dispatch, workspace)
    if action == "fs":
        return run_fs(dispatch, workspace)
    return {"exit_code": -1, "stdout": "", "stderr": "unknown_action:%s" % action, "duration_ms": 0,
            "truncated": False}


def run_dispatch(dispatch, workspace, smcp=None):
    if dispatch.get("action") == "invoke":
        return run_invoke(dispatch, workspace, smcp)
    return run_action(dispatch, workspace)


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
    smcp = None
    if config.smcp_enabled:
        smcp = SmcpSession(client, config, os.environ)
        smcp.attest()
    generate = {
        "type": "generate",
        "agent_id": config.agent_id,
        "execution_id": config.execution_id,
        "iteration_number": config.iteration,
        "model_alias": config.model_alias,
        "prompt": prompt,
        "messages": [],
    }
    if smcp is not None:
        generate["smcp_session_id"] = smcp.session_id
    reply = client.post(generate)
    while reply.get("type") == "dispatch":
        dispatch_id = reply.get("dispatch_id")
        result = run_dispatch(reply, config.workspace, smcp)
        debug("dispatch %s action=%s %s" % (dispatch_id, reply.get("action"), ", ".join(
            "%s=%s" % (k, result[k]) for k in ("exit_code", "duration_ms", "truncated") if k in result)
            or ("error" if "error" in result else "result")))
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
