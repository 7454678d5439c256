"""Spider templates; a configured source names one of these by its ``template`` key."""

from .base import SourceSpider
from .feed import FeedSpider

TEMPLATES: dict[str, type[SourceSpider]] = {"feed": FeedSpider}

__all__ = ["TEMPLATES", "SourceSpider"]
