"""A sparse linear classifier evaluated with plain dict lookups.

The training scripts fit scikit-learn logistic regression and export the surviving
weights to gzip JSON; the runtime needs neither sklearn nor scipy, and scoring a
document costs one dict lookup per feature.
"""

from __future__ import annotations

import gzip
import json
import math
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from analysis.features import Features


@dataclass(frozen=True)
class LinearModel:
    classes: tuple[str, ...]
    bias: tuple[float, ...]
    # One weight per logit column: binary models have one column (sigmoid), others K.
    weights: dict[str, tuple[float, ...]]
    meta: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> LinearModel:
        names: list[str] = doc["features"]
        rows: list[list[float]] = doc["weights"]
        return cls(
            classes=tuple(doc["classes"]),
            bias=tuple(doc["bias"]),
            weights={n: tuple(r) for n, r in zip(names, rows, strict=True)},
            meta=doc.get("meta", {}),
        )

    @classmethod
    def load_packaged(cls, filename: str) -> LinearModel:
        blob = resources.files("analysis").joinpath("data", filename).read_bytes()
        return cls.from_json(json.loads(gzip.decompress(blob)))

    def logits(self, feats: Features) -> list[float]:
        z = list(self.bias)
        get = self.weights.get
        if len(z) == 1:
            acc = z[0]
            for name, value in feats.items():
                w = get(name)
                if w is not None:
                    acc += w[0] * value
            return [acc]
        for name, value in feats.items():
            w = get(name)
            if w is not None:
                for k, wk in enumerate(w):
                    z[k] += wk * value
        return z

    def proba(self, feats: Features) -> dict[str, float]:
        z = self.logits(feats)
        if len(z) == 1:
            p = _sigmoid(z[0])
            return {self.classes[0]: 1.0 - p, self.classes[1]: p}
        top = max(z)
        exps = [math.exp(v - top) for v in z]
        total = sum(exps)
        return {c: e / total for c, e in zip(self.classes, exps, strict=True)}


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def to_json(
    classes: list[str], coef: Any, intercept: Any, vocab: list[str], meta: dict[str, Any],
    min_abs: float = 1e-3, digits: int = 4,
) -> dict[str, Any]:
    """Export a fitted (n_columns x n_features) coefficient matrix, dropping dead weights.

    Used by the training scripts only; kept here so the format lives in one module.
    """
    names: list[str] = []
    rows: list[list[float]] = []
    for j, name in enumerate(vocab):
        col = [float(coef[k][j]) for k in range(len(coef))]
        if max(abs(c) for c in col) < min_abs:
            continue
        names.append(name)
        rows.append([round(c, digits) for c in col])
    return {
        "classes": classes,
        "bias": [round(float(b), digits) for b in intercept],
        "features": names,
        "weights": rows,
        "meta": meta,
    }
