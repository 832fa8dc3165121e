"""python -m minprompt.sweep on the tiny base: a small sweep finishes with complete rows and a summary
that is the median of them, a second call runs only what is new, other settings are refused."""
import json
import statistics

import pytest

from minprompt import sweep
from minprompt.errors import UserError
from conftest import tiny_task

QUICK = ["--steps", "3", "--eval-every", "3", "--batch-size", "4", "--device", "cpu"]


def rows_of(out):
    return [json.loads(line) for line in (out / "sweep.jsonl").read_text().splitlines()]


def test_a_sweep_writes_complete_rows_resumes_and_summarises(tiny_base, tmp_path, capsys):
    base, _ = tiny_base
    task, out = tiny_task(tmp_path, n=24), tmp_path / "sweep"
    common = ["--base", str(base), "--task", str(task), "--out", str(out), "--n-prompt", "2,4", *QUICK]
    sweep.main([*common, "--init", "random,labels", "--seeds", "0", "--method", "prompt,prefix"])
    rows = rows_of(out)
    assert [(r["method"], r["n_prompt"], r["init"], r["seed"]) for r in rows] == [
        (m, n, i, 0) for m in ("prompt", "prefix") for n in (2, 4) for i in ("random", "labels")]
    for r in rows:
        results = json.loads((tmp_path / r["folder"].split(str(tmp_path) + "/")[1] / "results.json").read_text())
        assert r["test"] == results["test_metric"] and r["val"] == results["val_metric"]
        assert results["n_prompt"] == r["n_prompt"] and results["method"] == r["method"] and results["steps"] == 3
        assert r["steps"] == 3 and r["wall_s"] > 0 and r["metric"] == "accuracy" and r["extra"] == {}
        assert r["lr"] is None and r["lr_used"] == results["lr"] == 0.03  # --lr left out: the task's own
    first = (out / "sweep.jsonl").read_text()

    capsys.readouterr()
    sweep.main([*common, "--init", "labels", "--seeds", "0,1", "--method", "prompt"])  # 2 of these 4 are done
    assert "sweep: 4 runs (2 already in" in capsys.readouterr().out
    again = (out / "sweep.jsonl").read_text()
    assert again.startswith(first)  # the earlier rows untouched, the new ones appended
    new = rows_of(out)[len(rows):]
    assert [(r["method"], r["n_prompt"], r["init"], r["seed"]) for r in new] == [("prompt", 2, "labels", 1),
                                                                                ("prompt", 4, "labels", 1)]
    # the summary: per (task, method, init) and length, the median over seeds with the lowest and highest
    summary = (out / "summary.md").read_text()
    both = [r["test"] for r in rows_of(out) if (r["method"], r["n_prompt"], r["init"]) == ("prompt", 4, "labels")]
    assert len(both) == 2
    assert f"{statistics.median(both):.3f} ({min(both):.3f}-{max(both):.3f})" in summary
    assert "| P=2 | P=4 |" in summary and f"| {task.name} | prefix | random |" in summary


def test_a_sweep_folder_refuses_other_settings_and_bad_lists(tiny_base, tmp_path):
    base, _ = tiny_base
    out = tmp_path / "sweep"
    out.mkdir()
    row = {"task": "t", "method": "prompt", "n_prompt": 2, "init": "labels", "seed": 0, "steps": 3, "lr": 0.03,
           "batch_size": 4, "eval_every": 3, "base_fingerprint": "f" * 64, "extra": {}}
    (out / "sweep.jsonl").write_text(json.dumps(row) + "\n")
    with pytest.raises(UserError, match="sweep.jsonl holds runs on base ffffffffffff, this base is"):
        sweep.main(["--base", str(base), "--out", str(out), *QUICK])
    from minprompt.checkpoint import read_base
    row["base_fingerprint"] = read_base(base)["fingerprint"]
    (out / "sweep.jsonl").write_text(json.dumps(row) + "\n")
    with pytest.raises(UserError, match="sweep.jsonl holds runs with --steps 3, this sweep asks for 5") as e:
        sweep.main(["--base", str(base), "--out", str(out), *QUICK, "--steps", "5"])
    assert str(e.value).endswith("pass --steps 3 to continue it, or another --out")
    for flag, value, message in [("--n-prompt", "5,x", "is not a comma-separated list of ints"),
                                 ("--n-prompt", "0,5", "0 is not allowed"),
                                 ("--init", "labels,text", "'text' is not allowed"),
                                 ("--method", "lora", "'lora' is not allowed")]:
        with pytest.raises(UserError, match=message):
            sweep.main(["--base", str(base), "--out", str(tmp_path / "other"), *QUICK, flag, value])
    assert not (tmp_path / "other").exists()
