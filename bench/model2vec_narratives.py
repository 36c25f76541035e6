"""model2vec (distilled from all-MiniLM-L6-v2) in place of MiniLM for narratives: speed and dev/EN quality.

Not part of `make bench`: it needs a model2vec model distilled once, in a separate virtualenv
(distilling pins transformers 5.3.0, which must not enter ours):

    python3 -m venv /tmp/m2v
    echo "$PWD/.venv/lib/python3.11/site-packages" > /tmp/m2v/lib/python3.11/site-packages/zz_main.pth
    /tmp/m2v/bin/pip install "model2vec[distill]==0.10.0"
    # distil: model2vec.distill.distill_from_model(model=<MiniLM auto_model>, tokenizer=..., pca_dims=256)
    #         .save_pretrained("/tmp/m2v-minilm")   (about 100 s on 2 cores)
    PYTHONPATH=src /tmp/m2v/bin/python bench/model2vec_narratives.py

Figures and the decision are in docs/decisions.md.
"""
import os, time, json
os.environ.pop("NARRATRACE_CACHE", None)
import numpy as np
from model2vec import StaticModel
m = StaticModel.from_pretrained("/tmp/m2v-minilm")
import narratrace.claims.groups as cg
def encode(texts, *, model=None, batch_size=64):
    if not texts:
        return np.zeros((0, 256), dtype=np.float32)
    v = m.encode(list(texts))
    v = v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-9)
    v = np.hstack([v, np.zeros((len(v), 384 - v.shape[1]), dtype=v.dtype)])
    return v.astype(np.float32)
cg.encode = encode
# speed on dev sentences
from pathlib import Path
texts = []
for f in sorted(Path("../shared/data/semeval2025-task10/train/EN/raw-documents").glob("*.txt"))[:150]:
    texts += [s for s in f.read_text(encoding="utf-8").split("\n") if s.strip()]
t = time.perf_counter(); encode(texts); dt = time.perf_counter() - t
print(f"model2vec: {len(texts)} sentences in {dt:.2f} s = {len(texts)/dt:.0f} sentences/s")
from narratrace.evaluation import run_evaluation, run_training
dev = "../shared/data/semeval2025-task10/dev/EN"
r = run_evaluation("narratives", dev)
print("zero-shot-v1 with model2vec (thresholds tuned for MiniLM):", json.dumps(r["measures"]))
run_training("narratives", "../shared/data/semeval2025-task10/train/EN", "/tmp/m2v-narr", split="all")
r = run_evaluation("narratives", dev, model="/tmp/m2v-narr")
print("trained on train/EN with model2vec:", json.dumps(r["measures"]), r["seconds"], "s")
