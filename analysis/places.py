"""Gazetteer places in text → the township (grid cell) they belong to.

A name shared by places in two townships is ambiguous: it is resolved only when the text
also names one of those townships, otherwise it is reported as ambiguous, never guessed.
A place elsewhere whose name holds one of ours (the gazetteer's ``other_places``: 黄河口镇
holds 河口镇) is matched first and then set aside, so it never counts as ours.

Names are matched in simplified characters, the text's and the gazetteer's alike
(``simplify``): a repost writing 河口鎮 names 河口镇. What is reported is the gazetteer's
canonical name as written there.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from yuqing.config import Gazetteer

from .simplify import to_simplified


@dataclass(frozen=True)
class PlaceMatch:
    places: list[str]  # canonical names found (townships and places)
    townships: list[str]  # grid cells they resolve to
    ambiguous: list[str] = field(default_factory=list)  # names left unresolved


class PlaceIndex:
    def __init__(self, gazetteer: Gazetteer):
        self.county = gazetteer.county
        # surface form -> list of (canonical name, township)
        self._forms: dict[str, list[tuple[str, str]]] = {}
        for tw in gazetteer.townships:
            for form in (tw.name, *tw.aliases):
                self._add(form, tw.name, tw.name)
            for place in tw.places:
                for form in (place.name, *place.aliases):
                    self._add(form, place.name, tw.name)
        self._elsewhere = frozenset(map(to_simplified, gazetteer.other_places))
        # Longest first so that 东关村 wins over 东关 when both are listed, and 黄河口镇
        # (elsewhere) over 河口镇 (ours).
        self._ordered = sorted({*self._forms, *self._elsewhere}, key=len, reverse=True)

    def _add(self, form: str, canonical: str, township: str) -> None:
        entries = self._forms.setdefault(to_simplified(form), [])
        if (canonical, township) not in entries:
            entries.append((canonical, township))

    def words(self) -> list[str]:
        """Every surface form of our places, simplified like the tokens they are compared
        with (boosted keywords, event place words)."""
        return list(self._forms)

    def segmenter_words(self) -> list[str]:
        """Words jieba must keep whole: ours and the places elsewhere that hold ours, so
        that 黄河口镇 stays one token instead of giving the keyword 河口镇."""
        return [*self._forms, *self._elsewhere]

    def find(self, texts: Iterable[str]) -> PlaceMatch:
        """Places named in ``texts`` (either script)."""
        joined = to_simplified("\n".join(t for t in texts if t))
        positions: dict[str, int] = {}
        masked = joined
        for form in self._ordered:
            at = masked.find(form)
            if at >= 0:
                positions[form] = at
                # Mask so that a shorter form inside a longer one is not counted again.
                masked = masked.replace(form, "\0" * len(form))
        # Report places in the order the text names them.
        found = {f: self._forms[f] for f in sorted(positions, key=positions.__getitem__)
                 if f not in self._elsewhere}
        named_townships = {tw for entries in found.values() for c, tw in entries if c == tw}
        places: list[str] = []
        townships: list[str] = []
        ambiguous: list[str] = []
        for form, entries in found.items():
            if len(entries) > 1:
                picks = [e for e in entries if e[1] in named_townships]
                if len(picks) != 1:
                    ambiguous.append(form)
                    continue
                entries = picks
            canonical, township = entries[0]
            if canonical not in places:
                places.append(canonical)
            if township not in townships:
                townships.append(township)
        return PlaceMatch(places=places, townships=townships, ambiguous=ambiguous)
