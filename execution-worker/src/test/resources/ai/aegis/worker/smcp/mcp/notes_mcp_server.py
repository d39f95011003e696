#!/usr/bin/env python3
"""A tiny MCP server over stdio, for tests. Python 3 standard library only.

Protocol: newline-delimited JSON-RPC 2.0 on stdin/stdout (MCP "stdio" transport); stderr is a log.
Each request is answered on its own thread, so responses may come out of order (clients must match by id).
Notifications (no id) are ignored. The process exits when stdin closes.

Methods: initialize (answers the protocolVersion it was asked for, capabilities {tools: {}}, serverInfo),
ping, tools/list (pages of 3 tools, "nextCursor" = index of the next page as a string), tools/call.

Tools (all return {content: [{type: "text", text}], isError: false} unless said otherwise):
  add_note  {text: string}   -> "noted: <text>"; keeps the note in memory (per process)
  list_notes {}              -> the notes joined by "\n"; also structuredContent {notes: [...]}
  fail      {}               -> JSON-RPC error -32000 "deliberate failure"
  big       {bytes: int}     -> a text of that many "x" characters
  crash     {}               -> the process exits with code 3, without answering
  echo_env  {name: string}   -> the value of that environment variable, or "<unset>"
  slow      {seconds: number}-> sleeps, then "slept <seconds>"
  oops      {}               -> a tool result with isError: true and text "tool-level failure"
Unknown tool: JSON-RPC error -32602; unknown method: -32601; unparsable line: -32700 with id null.
"""
import json
import os
import sys
import threading
import time

PAGE_SIZE = 3

TOOLS = [
    {"name": "add_note", "description": "Store a note in memory.",
     "inputSchema": {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]}},
    {"name": "list_notes", "description": "List the stored notes, one per line.",
     "inputSchema": {"type": "object", "properties": {}}},
    {"name": "fail", "description": "Always answers a JSON-RPC error -32000.",
     "inputSchema": {"type": "object", "properties": {}}},
    {"name": "big", "description": "Returns a text of the given size in bytes.",
     "inputSchema": {"type": "object", "properties": {"bytes": {"type": "integer"}}, "required": ["bytes"]}},
    {"name": "crash", "description": "Exits the server process.",
     "inputSchema": {"type": "object", "properties": {}}},
    {"name": "echo_env", "description": "Returns an environment variable of the server, or <unset>.",
     "inputSchema": {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}},
    {"name": "slow", "description": "Sleeps for the given number of seconds.",
     "inputSchema": {"type": "object", "properties": {"seconds": {"type": "number"}}, "required": ["seconds"]}},
    {"name": "oops", "description": "Returns a tool result flagged isError.",
     "inputSchema": {"type": "object", "properties": {}}},
]

notes = []
notes_lock = threading.Lock()
out_lock = threading.Lock()


def log(text):
    sys.stderr.write("notes_mcp_server[%d]: %s\n" % (os.getpid(), text))
    sys.stderr.flush()


def send(message):
    data = json.dumps(message, separators=(",", ":")) + "\n"
    with out_lock:
        sys.stdout.write(data)
        sys.stdout.flush()


def text_result(text, is_error=False):
    return {"content": [{"type": "text", "text": text}], "isError": is_error}


class RpcError(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


def call_tool(name, args):
    if name == "add_note":
        text = str(args.get("text", ""))
        with notes_lock:
            notes.append(text)
        return text_result("noted: " + text)
    if name == "list_notes":
        with notes_lock:
            current = list(notes)
        result = text_result("\n".join(current))
        result["structuredContent"] = {"notes": current}
        return result
    if name == "fail":
        raise RpcError(-32000, "deliberate failure")
    if name == "big":
        return text_result("x" * int(args.get("bytes", 0)))
    if name == "crash":
        log("crashing on request")
        os._exit(3)
    if name == "echo_env":
        return text_result(os.environ.get(str(args.get("name", "")), "<unset>"))
    if name == "slow":
        seconds = float(args.get("seconds", 1))
        time.sleep(seconds)
        return text_result("slept %s" % args.get("seconds", 1))
    if name == "oops":
        return text_result("tool-level failure", is_error=True)
    raise RpcError(-32602, "Unknown tool: " + str(name))


def handle(request):
    method = request.get("method")
    params = request.get("params") or {}
    if method == "initialize":
        return {"protocolVersion": params.get("protocolVersion", "2025-06-18"),
                "capabilities": {"tools": {}},
                "serverInfo": {"name": "notes", "version": "1.0.0"}}
    if method == "ping":
        return {}
    if method == "tools/list":
        start = int(params.get("cursor") or 0)
        result = {"tools": TOOLS[start:start + PAGE_SIZE]}
        if start + PAGE_SIZE < len(TOOLS):
            result["nextCursor"] = str(start + PAGE_SIZE)
        return result
    if method == "tools/call":
        return call_tool(params.get("name"), params.get("arguments") or {})
    raise RpcError(-32601, "Method not found: " + str(method))


def answer(request):
    try:
        send({"jsonrpc": "2.0", "id": request["id"], "result": handle(request)})
    except RpcError as e:
        send({"jsonrpc": "2.0", "id": request["id"], "error": {"code": e.code, "message": e.message}})
    except Exception as e:  # a bug here must still answer, or the client waits for its timeout
        send({"jsonrpc": "2.0", "id": request["id"], "error": {"code": -32603, "message": repr(e)}})


def main():
    log("started, protocol stdio")
    for raw in sys.stdin.buffer:
        line = raw.decode("utf-8", "replace").strip()
        if not line:
            continue
        try:
            message = json.loads(line)
        except ValueError:
            send({"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "Parse error"}})
            continue
        if not isinstance(message, dict) or "method" not in message:
            continue  # responses to our (non-existent) requests
        if "id" not in message:
            continue  # notifications: initialized, cancelled
        threading.Thread(target=answer, args=(message,), daemon=True).start()
    log("stdin closed, exiting")


if __name__ == "__main__":
    main()
