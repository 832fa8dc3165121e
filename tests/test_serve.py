"""python -m minprompt.serve: concurrent clients with a mix of tasks get exactly the answers each text gets
alone (no cross-talk between rows or tasks), in fewer passes than requests; bad requests get a 4xx and a
one-line JSON error, and the server keeps serving."""
import http.client
import json
import threading
import urllib.error
import urllib.request

import pytest
import torch

from minprompt import serve
from minprompt.checkpoint import fingerprint, load_base
from minprompt.prompt import SoftPrompt, init_prompt, load_prompt, save_prompt
from minprompt.tasks import Task, encode_split, load_task, predict

TEXTS = ["The soup was cold and the waiter was rude.", "A late goal settled the derby.", "What a lovely film!",
         "name: Opal | category: lamp | colour: red | style: luxury", "Shares fell after the report.", "meh"]


@pytest.fixture(scope="module")
def prompts(tiny_base, tmp_path_factory):
    """Prompt files for three tasks on the tiny base (vocabulary inits, not tuned: enough to route by)."""
    folder = tmp_path_factory.mktemp("prompts")
    model, tok = load_base(tiny_base[0])
    paths = []
    for i, (name, kind, labels, n) in enumerate([("sentiment", "classification", ["negative", "positive"], 4),
                                                  ("topic", "classification", ["business", "sport", "tech", "world"], 4),
                                                  ("describe", "generation", [], 6)]):
        soft = SoftPrompt(n, model.config.n_embd)
        init_prompt(soft, "vocab", model, tok, labels=labels, seed=i)
        path = folder / f"{name}.pt"
        save_prompt(path, soft.weight, n_tokens=n, init="vocab", task=name, kind=kind, labels=labels,
                    template=load_task(name).template, base_path=str(tiny_base[0]), base_fingerprint=fingerprint(model),
                    tokenizer_hash=tok.hash(), steps=0, val_score=0.0, metrics={})
        paths.append(str(path))
    return paths


@pytest.fixture()
def server(tiny_base, prompts):
    model, tok = load_base(tiny_base[0])
    cks = [load_prompt(p) for p in prompts]
    app = serve.App(model, tok, cks, prompts, torch.device("cpu"), max_batch=8, max_wait_ms=200, max_new_tokens=12)
    srv = serve.make_server(app, port=0)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield srv, app, model, tok, cks
    srv.shutdown()
    srv.server_close()


def call(srv, path, body=None, raw=None):
    """(status, parsed JSON reply) for GET (body None) or POST."""
    url = f"http://127.0.0.1:{srv.server_address[1]}{path}"
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data), timeout=120) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def alone(model, tok, ck, text):
    task = Task(ck["task"], "", ck["kind"], ck["template"], labels=ck["labels"])
    (context, _), = encode_split(task, tok, [{task.field: text}], model.config.block_size - ck["prompt"].shape[0])[0]
    return predict(model, ck["prompt"], tok, task, [context], max_new_tokens=12)[0]


def test_concurrent_mixed_requests_get_each_texts_own_answer(server):
    srv, app, model, tok, cks = server
    status, listing = call(srv, "/tasks")
    assert status == 200 and [t["task"] for t in listing["tasks"]] == ["sentiment", "topic", "describe"]
    assert listing["base_fingerprint"] == fingerprint(model)
    requests = [(cks[(i + j) % 3]["task"], TEXTS[(i * 5 + j) % len(TEXTS)]) for i in range(16) for j in range(2)]
    expected = {(name, text): alone(model, tok, next(c for c in cks if c["task"] == name), text)
                for name, text in set(requests)}
    replies = [None] * 16

    def client(i):  # 16 clients at once: one single request and one list each, tasks interleaved
        one = call(srv, "/predict", {"task": requests[2 * i][0], "text": requests[2 * i][1]})
        two = call(srv, "/predict", [{"task": t, "text": x} for t, x in requests[2 * i: 2 * i + 2]])
        replies[i] = (one, two)
    threads = [threading.Thread(target=client, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i, ((s1, one), (s2, two)) in enumerate(replies):
        assert s1 == 200 and s2 == 200
        assert one == {"task": requests[2 * i][0], "text": requests[2 * i][1], "output": expected[requests[2 * i]]}
        assert [(r["task"], r["text"], r["output"]) for r in two] == [(t, x, expected[(t, x)])
                                                                       for t, x in requests[2 * i: 2 * i + 2]]
    assert app.passes < 32 and app.largest_pass <= 8  # 32 requests batched into fewer passes, none over --max-batch
    assert len({o for o in expected.values()}) > 3  # the answers do differ from text to text and task to task


@pytest.mark.parametrize("path, body, raw, status, message", [
    ("/predict", None, b"{not json", 400, "malformed JSON"),
    ("/predict", {"task": "poetry", "text": "hi"}, None, 404, "unknown task 'poetry'; loaded: sentiment, topic, describe"),
    ("/predict", {"task": "sentiment", "text": "   "}, None, 400, "text must have 1 to 2000 characters"),
    ("/predict", {"task": "sentiment", "text": "x" * 2001}, None, 400, "text must have 1 to 2000 characters, got 2001"),
    ("/predict", {"task": "sentiment", "text": 5}, None, 400, 'each entry must be an object {"task": string'),
    ("/predict", [], None, 400, "send 1 to 8 texts per request, got 0"),
    ("/predict", [{"task": "sentiment", "text": "a"}] * 9, None, 400, "send 1 to 8 texts per request, got 9"),
    ("/nowhere", {"task": "sentiment", "text": "a"}, None, 404, "no such path /nowhere"),
])
def test_bad_requests_get_a_4xx_and_the_server_keeps_serving(server, path, body, raw, status, message):
    srv, app, model, tok, cks = server
    got, reply = call(srv, path, body, raw)
    assert got == status and list(reply) == ["error"] and reply["error"].startswith(message)
    assert "\n" not in reply["error"]
    ok, answer = call(srv, "/predict", {"task": "sentiment", "text": TEXTS[0]})
    assert ok == 200 and answer["output"] == alone(model, tok, cks[0], TEXTS[0])


@pytest.mark.parametrize("length", [None, "abc", "-1"])
def test_a_missing_or_malformed_content_length_gets_411(server, length):
    srv = server[0]
    conn = http.client.HTTPConnection("127.0.0.1", srv.server_address[1], timeout=60)
    conn.putrequest("POST", "/predict")
    if length is not None:
        conn.putheader("Content-Length", length)
    conn.endheaders()
    reply = conn.getresponse()
    assert reply.status == 411 and json.loads(reply.read())["error"].startswith("a request needs a Content-Length")
    conn.close()


def test_two_prompts_for_one_task_are_refused(tiny_base, prompts):
    model, tok = load_base(tiny_base[0])
    cks = [load_prompt(p) for p in (prompts[0], prompts[0])]
    with pytest.raises(serve.UserError, match="two prompts for task 'sentiment'"):
        serve.App(model, tok, cks, [prompts[0], prompts[0]], torch.device("cpu"))
