"""A format-neutral report document: headings, paragraphs, lists, tables, figures.

``compose`` writes the Chinese content once into these blocks; the .docx, HTML and
markdown renderers only decide how each block looks, so the three formats cannot drift
apart in what they say.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Link:
    text: str
    url: str


Inline = str | Link
Runs = list[Inline]


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 1


@dataclass(frozen=True)
class Para:
    runs: Runs
    note: bool = False  # small print: definitions, data caveats


@dataclass(frozen=True)
class Bullets:
    items: list[Runs]


@dataclass(frozen=True)
class Table:
    header: list[str]
    rows: list[list[Runs]]
    # Rows a chat message may drop first when it must shrink (the table says how many).
    compact_rows: int = 5


@dataclass(frozen=True)
class Figure:
    key: str
    caption: str
    png: bytes


Block = Heading | Para | Bullets | Table | Figure


@dataclass
class Document:
    title: str
    subtitle: str
    blocks: list[Block] = field(default_factory=list)

    def add(self, *blocks: Block) -> None:
        self.blocks.extend(blocks)


def plain(runs: Runs) -> str:
    return "".join(r if isinstance(r, str) else r.text for r in runs)
