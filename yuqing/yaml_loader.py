"""The YAML reader for configuration files: strict where PyYAML is silently lenient.

Two of PyYAML's defaults defeat "every mistake names its key": a key written twice keeps
the last value and drops the first without a word (two ``scheduler:`` sections after a
paste), and an impossible date such as ``2026-13-01`` raises a bare ``ValueError`` from
inside the parser, with neither line nor key. Here a repeated key is an error with both
lines, and dates stay strings so that pydantic reads them and names the key path.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.constructor import ConstructorError

_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_MERGE = "tag:yaml.org,2002:merge"


class ConfigLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` without implicit timestamps and with duplicate keys refused."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, yaml.Mark] = {}
        for key_node, _ in node.value:
            # A merge (<<: *base) may be overridden by an explicit key: that is its purpose.
            if key_node.tag == _MERGE:
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                first = seen.get(key)
            except TypeError:  # an unhashable key: the base class reports it
                continue
            if first is not None:
                raise ConstructorError(
                    "while constructing a mapping", node.start_mark,
                    f"duplicate key {key!r} (first given at line {first.line + 1}); the "
                    "second would silently replace the first", key_node.start_mark)
            seen[key] = key_node.start_mark
        return super().construct_mapping(node, deep=deep)


ConfigLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _TIMESTAMP]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_yaml(text: str) -> Any:
    """Parse one YAML document; errors are ``yaml.YAMLError`` with a position."""
    return yaml.load(text, Loader=ConfigLoader)  # noqa: S506 - a SafeLoader subclass
