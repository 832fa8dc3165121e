"""A small HTTP server for tuned prompts: many tasks on one frozen base, requests batched across tasks.

    python -m minprompt.serve --prompt out/sentiment/prompt.pt --prompt out/topic/prompt.pt   # port 8000
    curl -s localhost:8000/tasks
    curl -s -d '{"task": "sentiment", "text": "The soup was cold"}' localhost:8000/predict
    curl -s -d '[{"task": "sentiment", "text": "Cold soup"}, {"task": "topic", "text": "A late goal"}]' localhost:8000/predict

POST /predict takes one {"task", "text"} object or a list of them, and answers {"task", "text", "output"}
(or a list, in order). Requests that arrive within --max-wait-ms of the first waiting one, for any mix of
tasks, are answered together by one batched pass of at most --max-batch texts (tasks.predict_mixed: each
task's prompt runs once, each text under its own task's prompt). GET /tasks lists the loaded prompts and
the base's fingerprint. A bad request gets a 4xx status and {"error": "..."}; the server keeps serving.
Standard library only: http.server, threading, queue. One worker thread owns the model.
"""
import argparse
import json
import queue
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import torch

from minprompt.checkpoint import fingerprint
from minprompt.device import pick_device
from minprompt.errors import UserError, check_positive, run_main
from minprompt.predict import load_base_for
from minprompt.prompt import load_prompt
from minprompt.tasks import Task, encode_split, predict_mixed

MAX_BODY = 1 << 20  # bytes of one request


class BadRequest(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


class Request:
    """One HTTP request's texts, waiting for the worker: items [(task name, context ids)]."""

    def __init__(self, items):
        self.items, self.outputs, self.error, self.done = items, [None] * len(items), None, threading.Event()


class App:
    """The loaded base and prompts, request parsing, and the batching worker."""

    def __init__(self, model, tokenizer, cks, paths, device, max_batch=32, max_wait_ms=5.0, max_chars=2000,
                 max_new_tokens=80):
        self.model, self.tokenizer, self.device = model, tokenizer, device
        self.max_batch, self.max_wait, self.max_chars = max_batch, max_wait_ms / 1000, max_chars
        self.max_new_tokens, self.fingerprint = max_new_tokens, fingerprint(model)
        self.passes, self.largest_pass = 0, 0  # for tests and the curious: how the requests were batched
        self.tasks, self.prompts, self.files = {}, {}, {}
        for path, ck in zip(paths, cks):
            if ck["task"] in self.tasks:
                raise UserError(f"two prompts for task {ck['task']!r}: the other is {self.files[ck['task']]}", path,
                                "serve one prompt per task")
            self.tasks[ck["task"]] = Task(ck["task"], "", ck["kind"], ck["template"], labels=ck["labels"])
            self.prompts[ck["task"]], self.files[ck["task"]] = ck["prompt"].to(device), path
        self.queue = queue.Queue()
        threading.Thread(target=self.work, daemon=True).start()

    def describe(self):
        return {"base_fingerprint": self.fingerprint, "tasks": [
            {"task": name, "kind": t.kind, "labels": t.labels, "n_prompt": self.prompts[name].shape[-2],
             "file": self.files[name]} for name, t in self.tasks.items()]}

    def parse(self, body):
        """A request body (parsed JSON) -> [(task name, context ids)], or BadRequest."""
        entries = body if isinstance(body, list) else [body]
        if not entries or len(entries) > self.max_batch:
            raise BadRequest(400, f"send 1 to {self.max_batch} texts per request, got {len(entries)}")
        items = []
        for entry in entries:
            if not isinstance(entry, dict) or not isinstance(entry.get("task"), str) or not isinstance(entry.get("text"), str):
                raise BadRequest(400, 'each entry must be an object {"task": string, "text": string}')
            task = self.tasks.get(entry["task"])
            if task is None:
                raise BadRequest(404, f"unknown task {entry['task']!r}; loaded: {', '.join(self.tasks)}")
            if not entry["text"].strip() or len(entry["text"]) > self.max_chars:
                raise BadRequest(400, f"text must have 1 to {self.max_chars} characters, got {len(entry['text'])}")
            budget = self.model.config.block_size - self.prompts[task.name].shape[-2]
            (context, _), = encode_split(task, self.tokenizer, [{task.field: entry["text"]}], budget)[0]
            items.append((task.name, context))
        return items

    def answer(self, items):
        """Queue the items for the worker and wait for their outputs (called by the handler threads)."""
        request = Request(items)
        self.queue.put(request)
        request.done.wait()
        if request.error:
            raise BadRequest(500, request.error)
        return request.outputs

    def work(self):
        """The worker: the first waiting request, then every request that arrives within max_wait while
        the pass has room (max_batch texts), answered by one predict_mixed call. A request that does not
        fit is held for the next pass."""
        held = None
        while True:
            batch, held = [held or self.queue.get()], None
            n, deadline = len(batch[0].items), time.monotonic() + self.max_wait
            while n < self.max_batch:
                try:
                    request = self.queue.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    break
                if n + len(request.items) > self.max_batch:
                    held = request
                    break
                batch.append(request)
                n += len(request.items)
            self.run_batch(batch)

    def run_batch(self, batch):
        rows = {}  # task name -> [(request, position in it, context)]
        for request in batch:
            for i, (name, context) in enumerate(request.items):
                rows.setdefault(name, []).append((request, i, context))
        names = list(rows)
        jobs = [(self.tasks[n], self.prompts[n], [c for _, _, c in rows[n]]) for n in names]
        try:
            with torch.no_grad():
                outputs = predict_mixed(self.model, jobs, self.tokenizer, self.max_new_tokens, device=self.device)
            self.passes += 1
            self.largest_pass = max(self.largest_pass, sum(len(r.items) for r in batch))
            for name, outs in zip(names, outputs):
                for (request, i, _), out in zip(rows[name], outs):
                    request.outputs[i] = out
        except Exception as e:  # a bug, not the client's fault: report it to these requests, keep serving
            for request in batch:
                request.error = f"{type(e).__name__}: {e}"
        for request in batch:
            request.done.set()


class Handler(BaseHTTPRequestHandler):
    server_version = "minprompt"
    timeout = 30  # seconds a client may stall while sending; then its connection is dropped

    def do_GET(self):
        if self.path != "/tasks":
            return self.reply(404, {"error": f"no such path {self.path}: GET /tasks or POST /predict"})
        self.reply(200, self.server.app.describe())

    def do_POST(self):
        try:
            if self.path != "/predict":
                raise BadRequest(404, f"no such path {self.path}: GET /tasks or POST /predict")
            length = self.headers.get("Content-Length")
            if length is None or not length.isdigit():
                raise BadRequest(411, "a request needs a Content-Length header with the body's size in bytes")
            if int(length) > MAX_BODY:
                raise BadRequest(413, f"request body over {MAX_BODY} bytes")
            try:
                body = json.loads(self.rfile.read(int(length)))
            except (json.JSONDecodeError, UnicodeDecodeError) as e:
                raise BadRequest(400, f"malformed JSON: {e}") from None
            app = self.server.app
            entries = body if isinstance(body, list) else [body]
            outputs = app.answer(app.parse(body))
            answers = [{"task": e["task"], "text": e["text"], "output": o} for e, o in zip(entries, outputs)]
            self.reply(200, answers if isinstance(body, list) else answers[0])
        except BadRequest as e:
            self.reply(e.status, {"error": str(e)})

    def reply(self, status, obj):
        data = (json.dumps(obj, ensure_ascii=False) + "\n").encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, fmt, *args):
        if self.server.verbose:
            super().log_message(fmt, *args)


class Server(ThreadingHTTPServer):
    daemon_threads = True  # a handler thread never keeps the process alive
    request_queue_size = 128  # the listen backlog: the default 5 resets connections when many clients arrive at once


def make_server(app, host="127.0.0.1", port=8000, verbose=False):
    """The HTTP server around an App; port 0 picks a free port (server.server_address has it)."""
    server = Server((host, port), Handler)
    server.app, server.verbose = app, verbose
    return server


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--prompt", action="append", required=True, help="prompt.pt of one task; repeat for several tasks")
    p.add_argument("--base", default=None, help="base checkpoint (default: the path stored in the first prompt file)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    p.add_argument("--port", type=int, default=8000, help="port (default: %(default)s)")
    p.add_argument("--max-batch", type=int, default=32, help="texts per batched pass (default: %(default)s)")
    p.add_argument("--max-wait-ms", type=float, default=5.0, help="how long a pass waits for more requests (default: %(default)s)")
    p.add_argument("--max-chars", type=int, default=2000, help="longest text accepted (default: %(default)s)")
    p.add_argument("--max-new-tokens", type=int, default=80, help="generation length limit (default: %(default)s)")
    p.add_argument("--device", default="auto", help="auto (cuda, then mps, then cpu), cpu, cuda, mps")
    p.add_argument("--verbose", action="store_true", help="log every request")
    args = p.parse_args(argv)
    check_positive(args, "max_batch", "max_chars", "max_new_tokens")
    if not 0 <= args.max_wait_ms < float("inf"):
        raise UserError(f"--max-wait-ms must be 0 or more, got {args.max_wait_ms}", None, "pass e.g. --max-wait-ms 5")
    cks = [load_prompt(path) for path in args.prompt]
    device = pick_device(args.device)
    model, tokenizer = load_base_for(args.prompt, cks, args.base, device)
    app = App(model, tokenizer, cks, args.prompt, device, args.max_batch, args.max_wait_ms, args.max_chars,
              args.max_new_tokens)
    try:
        server = make_server(app, args.host, args.port, args.verbose)
    except OSError as e:
        raise UserError(f"cannot listen on {args.host}:{args.port}: {e.strerror}", None, "pass another --port") from None
    host, port = server.server_address[:2]
    print(f"serving {', '.join(app.tasks)} on http://{host}:{port} (base {app.fingerprint[:12]}); Ctrl-C stops", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("stopped")
    finally:
        server.server_close()


if __name__ == "__main__":
    run_main(main)
