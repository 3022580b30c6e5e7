"""Smoke test of the so3-demo command: it runs end to end and writes its outputs."""

import json
import os

from inference import cli_so3


def test_so3_demo_quick(tmp_path):
    out = str(tmp_path / "demo")
    rc = cli_so3.main(["--quick", "--toy-steps", "250", "--ia-steps", "250", "--out", out])
    assert rc == 0
    for name in ("toy_angle_hist.png", "toy_marginals.png", "ia_wgplus_ed.png",
                 "ia_misalignment_hist.png", "summary.json"):
        assert os.path.getsize(os.path.join(out, name)) > 1000 or name.endswith(".json")
    summary = json.load(open(os.path.join(out, "summary.json")))
    assert summary["toy"]["steps"] == 250 and summary["ia"]["steps"] == 250
    assert len(summary["ia"]["wgplus_model"]) == 8
