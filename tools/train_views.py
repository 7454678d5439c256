"""Fit the category model's class-balanced views (analysis/category_views.py).

Word vectors: the word2vec file bundled in the PyPI source distribution of ``synonyms``
3.8.0 (MIT; 125,796 words x 100 dimensions trained on Chinese Wikipedia, see that
package's README). The archive is fetched once with pip into var/cache/ (git-ignored); the
packaged views keep the vectors of the 81k usable words reduced to 64 dimensions (PCA,
int8), the class centroids and one vector per 二级分类 of the taxonomy.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import tarfile
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis.category_views import (  # noqa: E402
    MIN_LEN,
    TITLE_REPEAT,
    CentroidViews,
    names_array,
)

ROOT = Path(__file__).resolve().parents[1]
VECTORS_PACKAGE = "synonyms==3.8.0"
VECTORS_MEMBER = "synonyms-3.8.0/synonyms/data/words.vector"
CACHE = ROOT / "var" / "cache"
DIMS = 64  # PCA dimensions kept (CV: 64 as good as all 100, 32-48 a little worse)
MIN_DF = 2
# Words of taxonomy names that say nothing about one class ("管理", "其他", "问题"...);
# the category lexicon (train_category.taxonomy_words) leaves them out too.
GENERIC = frozenset(
    "其他 管理 问题 建设 政策 服务 待遇 工作 发展 事务 规划 设计 监管 纠纷 补偿 安置 保护 "
    "人员 其他补贴 补贴 审批 手续 资格 市场 行业 执行 发放 使用 公共 安全 质量 体制 改革 "
    "处理 事业 权益 开发 监督 组织 标准 申请 决定 调整 机构 认证 资源 资产 制度".split())


def vectors_file() -> Path:
    out = CACHE / "synonyms-3.8.0-words.vector"
    if out.exists():
        return out
    CACHE.mkdir(parents=True, exist_ok=True)
    archive = CACHE / "synonyms-3.8.0.tar.gz"
    if not archive.exists():
        print(f"fetching {VECTORS_PACKAGE} (54 MB) from PyPI for its word vectors")
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary",
                        ":all:", "-d", str(CACHE), VECTORS_PACKAGE], check=True)
    with tarfile.open(archive) as tar:
        member = tar.extractfile(VECTORS_MEMBER)
        if member is None:
            raise FileNotFoundError(f"{archive}: no {VECTORS_MEMBER}")
        tmp = out.with_suffix(".part")
        tmp.write_bytes(member.read())
        tmp.rename(out)
    return out


def load_vectors(path: Path) -> tuple[list[str], np.ndarray]:
    """A binary word2vec file: header "N DIM\\n", then per word "word " + DIM float32."""
    data = path.read_bytes()
    nl = data.index(b"\n")
    n, dim = map(int, data[:nl].split())
    pos = nl + 1
    words: list[str] = []
    vecs = np.empty((n, dim), np.float32)
    for i in range(n):
        sp = data.index(b" ", pos)
        words.append(data[pos:sp].decode("utf-8", "replace").strip())
        pos = sp + 1
        vecs[i] = np.frombuffer(data, np.float32, dim, pos)
        pos += 4 * dim
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True) + 1e-9
    return words, vecs


def usable_vectors(words: list[str], vecs: np.ndarray) -> tuple[list[str], np.ndarray]:
    """Words the segmenter can produce (in jieba's dictionary), of two or more characters
    and not ASCII; the first spelling of each."""
    import jieba

    jieba.initialize()
    freq = jieba.dt.FREQ
    seen: set[str] = set()
    keep = []
    for i, w in enumerate(words):
        if len(w) >= MIN_LEN and not w.isascii() and freq.get(w) and w not in seen:
            seen.add(w)
            keep.append(i)
    return [words[i] for i in keep], vecs[keep]


def _unit_rows(a: np.ndarray) -> np.ndarray:
    return a / (np.linalg.norm(a, axis=1, keepdims=True) + 1e-12)


def reduce_vectors(words: list[str], vecs: np.ndarray, dims: int = DIMS,
                   ) -> tuple[list[str], np.ndarray, float]:
    """(words, int8 vectors, scale): centred, the first ``dims`` principal components,
    quantised with one scale. Training uses exactly what the runtime will see."""
    centred = vecs - vecs.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    reduced = centred @ vt[:dims].T
    scale = float(np.abs(reduced).max()) / 127
    return words, np.clip(np.round(reduced / scale), -127, 127).astype(np.int8), scale


def taxonomy_nodes(taxonomy: dict[str, dict[str, list[str]]], classes: list[str],
                   index: dict[str, int], vecs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One unit vector per 二级分类: the mean vector of the words of its name and its 三级
    names (generic words left out); rows grouped by class in ``classes`` order."""
    import jieba

    rows, owner = [], []
    for c, top in enumerate(classes):
        for sub, leaves in taxonomy.get(top, {}).items():
            ws = [w for name in (sub, *leaves) for w in jieba.lcut(name)
                  if w in index and w not in GENERIC]
            if ws:
                rows.append(np.mean([vecs[index[w]] for w in ws], axis=0))
                owner.append(c)
    missing = sorted(set(classes) - {classes[c] for c in owner})
    if missing:
        raise ValueError(f"no 二级分类 with a known word for: {', '.join(missing)}")
    return _unit_rows(np.stack(rows)).astype(np.float32), np.array(owner, dtype=np.int64)


def fit_views(title_tokens: list[list[str]], tokens: list[list[str]], y: np.ndarray,
              classes: list[str], vocab: tuple[list[str], np.ndarray, float],
              taxonomy: dict[str, dict[str, list[str]]], weight_tfidf: float = 0.0,
              weight_emb: float = 0.0, weight_taxonomy: float = 0.0,
              ) -> dict[str, np.ndarray]:
    """The arrays of ``category_views.npz``, fitted on these messages (``tokens`` include
    the title's, as the pipeline makes them)."""
    k = len(classes)
    n = len(y)
    counts = np.bincount(y, minlength=k)
    if (counts == 0).any():
        raise ValueError("every class needs a training message: "
                         + ", ".join(c for c, m in zip(classes, counts, strict=True) if not m))
    # TF-IDF view (sklearn's TfidfVectorizer(min_df=2, sublinear_tf=True) by hand, so the
    # runtime formula is the one fitted).
    bags = [Counter([t for t in tt if len(t) >= MIN_LEN] * TITLE_REPEAT
                    + [t for t in dt if len(t) >= MIN_LEN])
            for tt, dt in zip(title_tokens, tokens, strict=True)]
    df = Counter(w for b in bags for w in b)
    tf_words = sorted(w for w, c in df.items() if c >= MIN_DF)
    col = {w: j for j, w in enumerate(tf_words)}
    idf = np.array([math.log((1 + n) / (1 + df[w])) + 1 for w in tf_words])
    cen = np.zeros((k, len(tf_words)))
    for b, c in zip(bags, y, strict=True):
        row = np.zeros(len(tf_words))
        for w, m in b.items():
            j = col.get(w)
            if j is not None:
                row[j] = (1 + math.log(m)) * idf[j]
        norm = np.linalg.norm(row)
        if norm:
            cen[c] += row / norm
    cen = _unit_rows(cen / counts[:, None])
    tfidf_w = (cen * idf).T  # words x classes
    # Word-vector view: IDF over the messages' tokens; centroids of the unit-length
    # IDF-weighted mean vectors of text and title.
    words, quantised, scale = vocab
    vecs = quantised.astype(np.float32) * scale
    index = {w: i for i, w in enumerate(words)}
    df_tok = Counter(w for dt in tokens for w in set(dt))
    emb_idf = np.array([max(0.0, math.log((n + 1) / (1 + df_tok.get(w, 0)))) for w in words],
                       dtype=np.float32)

    def mean_vectors(docs: list[list[str]]) -> np.ndarray:
        out = np.zeros((len(docs), vecs.shape[1]), dtype=np.float32)
        for r, d in enumerate(docs):
            rows = [i for i in map(index.get, d) if i is not None]
            total = float(emb_idf[rows].sum())
            if total > 0:
                out[r] = emb_idf[rows] @ vecs[rows] / total
        return _unit_rows(out)

    def centroids(m: np.ndarray) -> np.ndarray:
        return _unit_rows(np.stack([m[y == c].mean(axis=0) for c in range(k)]))

    nodes, node_class = taxonomy_nodes(taxonomy, classes, index, vecs)
    meta = {"classes": classes, "weight_tfidf": weight_tfidf, "weight_emb": weight_emb,
            "weight_taxonomy": weight_taxonomy, "emb_scale": scale,
            "vectors": f"{VECTORS_PACKAGE} (PyPI sdist), {VECTORS_MEMBER}: word2vec on "
            f"Chinese Wikipedia; {len(words)} words kept (in jieba's dictionary, >= 2 "
            f"characters, not ASCII), centred, first {quantised.shape[1]} principal "
            "components, int8",
            "trained_on": f"{n} annotated messages", "script": "tools/train_category.py"}
    return {
        "meta": np.frombuffer(json.dumps(meta, ensure_ascii=False).encode("utf-8"),
                              dtype=np.uint8),
        "tfidf_words": names_array(tf_words),
        "tfidf_w": tfidf_w.astype(np.float16),
        "emb_words": names_array(words),
        "emb_idf": emb_idf.astype(np.float16),
        "emb_vectors": quantised,
        "text_centroids": centroids(mean_vectors(tokens)).astype(np.float32),
        "title_centroids": centroids(mean_vectors(title_tokens)).astype(np.float32),
        "node_vectors": nodes,
        "node_class": node_class,
    }


def with_weights(arrays: dict[str, np.ndarray], weight_tfidf: float, weight_emb: float,
                 weight_taxonomy: float) -> dict[str, np.ndarray]:
    meta = json.loads(arrays["meta"].tobytes().decode("utf-8"))
    meta.update(weight_tfidf=weight_tfidf, weight_emb=weight_emb,
                weight_taxonomy=weight_taxonomy)
    return {**arrays, "meta": np.frombuffer(json.dumps(meta, ensure_ascii=False).encode(
        "utf-8"), dtype=np.uint8)}


def view_scores(views: CentroidViews, title_tokens: list[list[str]],
                tokens: list[list[str]]) -> np.ndarray:
    """Standardised scores of messages: views x messages x classes (tfidf, emb,
    taxonomy)."""
    from analysis.category_views import standardise

    out = np.zeros((3, len(tokens), len(views.classes)))
    for r, (tt, dt) in enumerate(zip(title_tokens, tokens, strict=True)):
        out[0, r] = standardise(views.tfidf(tt, dt))
        out[1, r] = standardise(views.emb(tt, dt))
        out[2, r] = standardise(views.taxonomy(dt))
    return out
