"""Where a crawl finds yuqing's configuration.

``yuqing crawl`` hands the validated Config object over in the Scrapy settings; a plain
``scrapy crawl TEMPLATE -a source=ID`` (or Scrapyd on another host, scaling out) has
only the environment, so the configuration is loaded from $YUQING_CONFIG there.
"""

from __future__ import annotations

from functools import lru_cache

from scrapy.settings import BaseSettings

from yuqing.config import Config, load_config


@lru_cache(maxsize=4)
def _load(path: str | None) -> Config:
    return load_config(path)


def config_for(settings: BaseSettings) -> Config:
    cfg = settings.get("YUQING_CONFIG_OBJ")
    if cfg is not None:
        return cfg
    return _load(settings.get("YUQING_CONFIG"))
