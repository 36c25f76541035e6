"""tools/build_encoder_onnx.py --static: its calibration texts and its SmoothQuant step (no torch needed)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
onnx = pytest.importorskip("onnx")
onnxruntime = pytest.importorskip("onnxruntime")


@pytest.fixture(scope="module")
def tool():
    spec = importlib.util.spec_from_file_location("build_encoder_onnx", ROOT / "tools" / "build_encoder_onnx.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("build_encoder_onnx", module)
    spec.loader.exec_module(module)
    return module


def test_static_calibration_reads_only_text_written_for_narratrace(tool) -> None:
    sentences, files = tool.calibration_sentences()
    assert len(sentences) >= 300
    assert all(len(s.split()) >= 3 and s == " ".join(s.split()) for s in sentences)
    assert files and all(f.startswith(("examples/", "tests/data/")) for f in files)
    assert not any("shared" in f for f in files)
    assert tool.calibration_sentences() == (sentences, files), "the same sentences in the same order"


def _graph(path: Path, w: np.ndarray) -> None:
    """x -> MatMul(w) -> y, and x + x -> r (another consumer of x, as the residual sum is)."""
    from onnx import TensorProto, helper, numpy_helper

    nodes = [helper.make_node("MatMul", ["x", "w"], ["y"], name="/layer.0/intermediate/dense/MatMul"),
             helper.make_node("Add", ["x", "x"], ["r"], name="residual")]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 4])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, 3]),
                               helper.make_tensor_value_info("r", TensorProto.FLOAT, [None, 4])],
                              [numpy_helper.from_array(w, name="w")])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8), str(path))


def test_static_smoothing_keeps_the_float_result_and_tames_an_outlier_channel(tool, tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    w = rng.normal(size=(4, 3)).astype(np.float32)
    x = rng.normal(size=(50, 4)).astype(np.float32)
    x[:, 2] *= 30  # one outlier channel, as MiniLM's LayerNorm outputs have
    _graph(tmp_path / "f.onnx", w)
    info = tool.smooth_inputs(tmp_path / "f.onnx", tmp_path / "s.onnx", feeds=[{"x": x[:25]}, {"x": x[25:]}],
                              parts=["intermediate"], alpha=0.5)
    assert info["matmuls"] == 1 and info["activations"] == 1
    run = {name: onnxruntime.InferenceSession(str(tmp_path / name), providers=["CPUExecutionProvider"])
           for name in ("f.onnx", "s.onnx")}
    before, after = (run[n].run(["y", "r"], {"x": x}) for n in ("f.onnx", "s.onnx"))
    assert np.allclose(before[0], after[0], atol=1e-4), "the MatMul's result is unchanged"
    assert np.array_equal(before[1], after[1]), "the other consumer still reads x itself"
    smoothed = onnx.load(str(tmp_path / "s.onnx"))
    inverse = next(i for i in smoothed.graph.initializer if i.name.endswith("_smooth_inverse"))
    from onnx import numpy_helper

    peaks = np.abs(x * numpy_helper.to_array(inverse)).max(axis=0)
    assert peaks.max() / peaks.min() < np.abs(x).max(axis=0).max() / np.abs(x).max(axis=0).min(), \
        "the channels' ranges are closer together after smoothing"
