"""Configuration: one YAML file, validated once at start-up.

Every model forbids unknown keys so that a typo is an error, not a silently ignored
setting. ``load_config`` turns pydantic's errors into lines that name the file, the key
path and what is wrong. Secrets never live here: only the *names* of environment
variables that hold them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from alerts.config import AlertingConfig, PositiveDuration
from duty.config import DutyConfig
from watch.config import CalendarConfig, WatchConfig, WatchLevel
from web.settings import WebConfig
from yuqing.records import SourceKind
from yuqing.yaml_loader import load_yaml

DEFAULT_CONFIG = Path(__file__).resolve().parent / "data" / "default.yaml"
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


class ConfigError(Exception):
    """A configuration file is missing, unreadable or invalid. ``problems`` are key: message."""

    def __init__(self, path: Path | str, problems: list[str]):
        self.path = str(path)
        self.problems = problems
        super().__init__("\n".join(f"{self.path}: {p}" for p in problems))


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LocalNode(_Model):
    """The embedded single-node Elasticsearch started by ``yuqing es start``."""

    version: str = "9.5.4"
    port: int = Field(9200, ge=1, le=65535)
    heap: str = "512m"
    java_home: str | None = None
    user: str = "yuqing-es"

    @field_validator("heap")
    @classmethod
    def _heap(cls, v: str) -> str:
        if not re.match(r"^\d+[mg]$", v):
            raise ValueError(f"{v!r} is not a heap size like 512m or 2g")
        return v


class ElasticsearchConfig(_Model):
    # An external cluster: when hosts are given (or YUQING_ES_URL is set) no local node starts.
    hosts: list[str] = Field(default_factory=list)
    index_prefix: str = Field("yuqing", pattern=r"^[a-z0-9][a-z0-9_-]*$")
    api_key_env: str | None = None
    request_timeout: float = Field(30.0, gt=0)
    local: LocalNode = Field(default_factory=LocalNode)
    retention_months: int = Field(24, ge=1)
    shards: int = Field(1, ge=1)
    # 0 on the single local node (else the cluster is never green); 1+ on a real cluster.
    replicas: int = Field(0, ge=0)
    # Set by with_prefix: a prefix $YUQING_INDEX_PREFIX must not redirect (the demo's, which
    # drops everything under it on each run).
    _prefix_pinned: bool = PrivateAttr(default=False)

    def resolved_hosts(self) -> list[str]:
        env = os.environ.get("YUQING_ES_URL", "").strip()
        if env:
            return [h.strip() for h in env.split(",") if h.strip()]
        if self.hosts:
            return list(self.hosts)
        # Same override as storage.node.LocalElasticsearch, so clients reach the node it runs.
        port = os.environ.get("YUQING_ES_PORT", "").strip() or self.local.port
        return [f"http://127.0.0.1:{port}"]

    @property
    def prefix(self) -> str:
        """Index prefix; $YUQING_INDEX_PREFIX overrides it (tests, side-by-side trials)."""
        if self._prefix_pinned:
            return self.index_prefix
        return os.environ.get("YUQING_INDEX_PREFIX", "").strip() or self.index_prefix

    def with_prefix(self, prefix: str) -> ElasticsearchConfig:
        """A copy whose prefix is ``prefix`` whatever $YUQING_INDEX_PREFIX says."""
        es = self.model_copy(update={"index_prefix": prefix})
        es._prefix_pinned = True
        return es

    @property
    def external(self) -> bool:
        return bool(os.environ.get("YUQING_ES_URL", "").strip() or self.hosts)


class Selectors(_Model):
    """Per-site CSS (or XPath when starting with '/') overrides for extraction and discovery."""

    title: str | None = None
    body: str | None = None
    date: str | None = None
    author: str | None = None
    list_links: str | None = None
    next_page: str | None = None
    replies: str | None = None
    views: str | None = None
    # Message boards: the official reply and when it was given.
    reply: str | None = None
    reply_date: str | None = None


Template = Literal["feed", "news", "sitemap", "discuz", "board"]


class Source(_Model):
    id: str
    name: str
    template: Template
    kind: SourceKind
    start_urls: list[str] = Field(min_length=1)
    allowed_domains: list[str] = Field(default_factory=list)
    interval_minutes: int = Field(60, ge=1)
    # Per watch level, e.g. {holiday: 15, sensitive: 10}; otherwise interval_minutes times
    # watch.crawl_factor of the level.
    intervals: dict[WatchLevel, int] = Field(default_factory=dict)
    region: str | None = None
    max_pages: int = Field(5, ge=1)
    # Forum threads (`discuz`): pages of one thread fetched a visit, the first and the last
    # ones (new replies land at the end).
    max_thread_pages: int = Field(5, ge=1)
    selectors: Selectors = Field(default_factory=Selectors)
    enabled: bool = True

    @field_validator("id")
    @classmethod
    def _id_form(cls, v: str) -> str:
        if not _ID.match(v):
            raise ValueError("must be lower-case letters, digits, '-' or '_'")
        return v

    @field_validator("start_urls")
    @classmethod
    def _urls(cls, v: list[str]) -> list[str]:
        for u in v:
            if not re.match(r"^https?://", u):
                raise ValueError(f"{u!r} is not an http(s) URL")
        return v

    def interval_at(self, level: str, crawl_factor: dict[str, float]) -> int:
        """Minutes between crawls of this source at a watch level (at least 1)."""
        if level in self.intervals:
            return max(1, self.intervals[level])  # type: ignore[index]
        return max(1, round(self.interval_minutes * crawl_factor.get(level, 1.0)))


class Place(_Model):
    name: str
    aliases: list[str] = Field(default_factory=list)
    kind: Literal["village", "community", "landmark"] = "village"
    leader: str | None = None
    department: str | None = None


class Township(_Model):
    name: str
    aliases: list[str] = Field(default_factory=list)
    leader: str | None = None
    department: str | None = None
    places: list[Place] = Field(default_factory=list)


class Gazetteer(_Model):
    county: str
    townships: list[Township] = Field(default_factory=list)
    domain_words: list[str] = Field(default_factory=list)
    # Names of places elsewhere that contain one of ours (黄河口镇 holds 河口镇): text
    # naming them is not about ours, so it must not reach our township's leader.
    other_places: list[str] = Field(default_factory=list)

    def problems(self, prefix: str) -> list[str]:
        """Checks across townships and ``other_places``, each naming its key path."""
        ours = {form for t in self.townships
                for form in (t.name, *t.aliases,
                             *(f for p in t.places for f in (p.name, *p.aliases)))}
        out = []
        for i, name in enumerate(self.other_places):
            key = f"{prefix}.other_places[{i}]"
            if name in ours:
                out.append(f"{key}: {name!r} is one of the county's own place names")
            elif not any(form in name for form in ours):
                out.append(f"{key}: {name!r} contains none of the county's place names, so "
                           "it cannot be mistaken for one (a typo?)")
        return out


class SchemeConfig(_Model):
    """A monitoring scheme (监测方案): word groups, or a boolean ``expression``."""

    name: str = Field(min_length=1)
    regions: list[str] = Field(default_factory=list)  # 地域词
    subjects: list[str] = Field(default_factory=list)  # 主体词
    events: list[str] = Field(default_factory=list)  # 事件词
    exclude: list[str] = Field(default_factory=list)  # 排除词
    expression: str | None = None
    enabled: bool = True

    @model_validator(mode="after")
    def _compiles(self) -> SchemeConfig:
        if self.expression and (self.regions or self.subjects or self.events):
            raise ValueError("give either expression or word groups, not both")
        self.compile()
        return self

    def compile(self):  # -> detection.schemes.CompiledScheme
        from detection.schemes import CompiledScheme, from_groups, parse

        node = (parse(self.expression) if self.expression else
                from_groups(self.regions, self.subjects, self.events, self.exclude))
        return CompiledScheme(self.name, node)


class AnalysisConfig(_Model):
    # rjieba (jieba in Rust, same dictionary) is the fast default; jieba is the reference.
    segmenter: Literal["rjieba", "jieba"] = "rjieba"
    # Extra words for the segmenter beyond the gazetteer's (office titles, local slang).
    user_words: list[str] = Field(default_factory=list)
    # Analysis reads the title and this many characters of the text (places: all of it).
    # Its time grows with the text; the cap keeps one enormous page from stalling a crawl.
    max_chars: int = Field(100_000, ge=1_000)


class CrawlConfig(_Model):
    user_agent: str = "yuqing-monitor/0.1 (+county online-opinion office)"
    concurrent_per_domain: int = Field(2, ge=1, le=32)
    download_delay: float = Field(0.5, ge=0)
    autothrottle: bool = True
    obey_robots: bool = True
    timeout_seconds: float = Field(20.0, gt=0)
    # A page larger than this is abandoned mid-download and counted (dropped: too_large);
    # Scrapy's own limit is 1 GiB, held in memory.
    max_page_mb: float = Field(16.0, gt=0)
    retries: int = Field(3, ge=0)
    # First retry waits this long, each further one twice as long (capped at 60 s).
    retry_backoff_seconds: float = Field(2.0, ge=0)
    # Items are indexed in batches of this size, or at least this often while a crawl runs.
    index_batch: int = Field(200, ge=1)
    flush_seconds: float = Field(5.0, gt=0)
    # A board message without an official reply is re-visited for this many days.
    recheck_unreplied_days: int = Field(60, ge=0)


def _hhmm(v: str | None) -> str | None:
    if v is not None and not re.match(r"^([01]\d|2[0-3]):[0-5]\d$", v):
        raise ValueError(f"{v!r} is not a time of day like 08:00")
    return v


class SchedulerConfig(_Model):
    """``yuqing run``: how often each job runs, and how one instance is chosen."""

    detect_every: PositiveDuration = timedelta(seconds=60)
    escalate_every: PositiveDuration = timedelta(seconds=60)
    heartbeat_every: PositiveDuration = timedelta(seconds=60)
    crawl_check_every: PositiveDuration = timedelta(seconds=60)
    # A job that missed its time by less than this still runs (once: coalesced).
    misfire_grace: PositiveDuration = timedelta(minutes=10)
    crawl_timeout: PositiveDuration = timedelta(hours=1)
    # SQLAlchemy URL of the persistent job store; default SQLite under the data dir.
    jobstore_url: str | None = None
    # file: one host (flock); elasticsearch: a lease document, for several hosts.
    lock: Literal["file", "elasticsearch"] = "file"
    lease_ttl: PositiveDuration = timedelta(seconds=90)
    daily_report: str | None = "08:00"
    weekly_report: str | None = "08:00"  # Mondays
    report_format: Literal["docx", "html", "md"] = "docx"
    report_send: str | None = None  # receiver for the reports, if any
    # Daily, Beijing time: drop item indices past elasticsearch.retention_months (the
    # minimal node has no ILM). null leaves it to the operator (`yuqing es retention`).
    retention: str | None = "03:30"

    _times = field_validator("daily_report", "weekly_report", "retention")(_hhmm)


class Config(_Model):
    timezone: Literal["Asia/Shanghai"] = "Asia/Shanghai"
    data_dir: str = "var"
    elasticsearch: ElasticsearchConfig = Field(default_factory=ElasticsearchConfig)
    crawl: CrawlConfig = Field(default_factory=CrawlConfig)
    analysis: AnalysisConfig = Field(default_factory=AnalysisConfig)
    gazetteer: Gazetteer
    sources: list[Source] = Field(default_factory=list)
    schemes: list[SchemeConfig] = Field(default_factory=list)
    alerting: AlertingConfig = Field(default_factory=AlertingConfig)
    web: WebConfig = Field(default_factory=WebConfig)
    calendar: CalendarConfig = Field(default_factory=CalendarConfig)
    watch: WatchConfig = Field(default_factory=WatchConfig)
    duty: DutyConfig = Field(default_factory=DutyConfig)
    scheduler: SchedulerConfig = Field(default_factory=SchedulerConfig)
    # Set by with_data_dir: a data dir $YUQING_DATA_DIR must not redirect (the demo's, which
    # it deletes on each run).
    _data_dir_pinned: bool = PrivateAttr(default=False)

    @model_validator(mode="after")
    def _unique_names(self) -> Config:
        for what, names in (("source id", [s.id for s in self.sources]),
                            ("scheme name", [s.name for s in self.schemes])):
            seen: set[str] = set()
            for name in names:
                if name in seen:
                    raise ValueError(f"duplicate {what} {name!r}")
                seen.add(name)
        return self

    def source(self, source_id: str) -> Source:
        for s in self.sources:
            if s.id == source_id:
                return s
        raise KeyError(source_id)

    def data_path(self, *parts: str) -> Path:
        env = None if self._data_dir_pinned else os.environ.get("YUQING_DATA_DIR")
        return Path(env or self.data_dir).joinpath(*parts)

    def with_data_dir(self, path: Path | str) -> Config:
        """A copy whose data dir is ``path`` whatever $YUQING_DATA_DIR says."""
        cfg = self.model_copy(update={"data_dir": str(path)})
        cfg._data_dir_pinned = True
        return cfg


def _key_path(loc: tuple[Any, ...]) -> str:
    """Render a pydantic location as ``sources[2].selectors.title``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


def _message(err: dict[str, Any]) -> str:
    kind = err["type"]
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "required key is missing"
    if kind == "literal_error":
        expected = err.get("ctx", {}).get("expected", "")
        return f"got {err.get('input')!r}, expected one of {expected}"
    msg = err["msg"].removeprefix("Value error, ")
    value = err.get("input")
    if kind == "string_pattern_mismatch":
        return f"{value!r} is not of the expected form {err['ctx']['pattern']}"
    if kind.endswith(("_parsing", "_type")) and isinstance(value, str | int | float | bool):
        # The value seen, so the reader finds the line even when the key occurs many times.
        return f"{msg}, got {value!r}"
    return msg


def validation_problems(exc: ValidationError) -> list[tuple[str, str]]:
    """(key path, what is wrong) per error, in words, without pydantic's input dumps."""
    return [(_key_path(e["loc"]), _message(e)) for e in exc.errors()]


def _shift_problems(cfg: Config) -> list[str]:
    """Roster overrides and swaps against this configuration's calendar (which days are
    24-hour days depends on its years and sensitive periods)."""
    from duty.roster import missing_shifts
    from watch.calendar import configure, current_config

    before = current_config()
    configure(cfg.calendar)
    try:
        return missing_shifts(cfg.duty, "duty")
    finally:
        configure(before)


def _cross_key_problems(cfg: Config) -> list[str]:
    """Checks that span keys (receiver names, fallback cycles), each naming its key path."""
    problems = cfg.gazetteer.problems("gazetteer")
    problems += cfg.alerting.problems("alerting")
    receivers = [r.name for r in cfg.alerting.receivers]
    problems += cfg.duty.problems(set(receivers), "duty")
    problems += cfg.duty.person_problems(cfg.alerting, "alerting")
    problems += cfg.duty.catch_problems(cfg.alerting, "alerting")
    if not problems:  # the combined graph needs the receivers and people to exist
        from duty.fallbacks import fallback_problems

        problems += fallback_problems(cfg)
    problems += _shift_problems(cfg)
    send = cfg.scheduler.report_send
    if send is not None and send not in receivers:
        # The report goes to a receiver's channels directly (no roster expansion); an
        # unknown one would fail at 08:00 every day, after the report was written.
        problems.append(f"scheduler.report_send: undefined receiver {send!r}; defined: "
                        f"{', '.join(receivers) or '(none)'}")
    towns = {t.name: t for t in cfg.gazetteer.townships}
    for i, src in enumerate(cfg.sources):
        if src.region is not None and src.region not in towns:
            # Taken as given it would become a township label no leader answers for.
            alias = [t.name for t in towns.values() if src.region in t.aliases]
            hint = (f"write the township's name {alias[0]!r}" if alias else
                    f"townships: {', '.join(towns) or '(none)'}")
            problems.append(f"sources[{i}].region: {src.region!r} is not a township of "
                            f"gazetteer.townships; {hint}")
    return problems


def parse_config(raw: Any, path: Path | str = "<config>") -> Config:
    if not isinstance(raw, dict):
        raise ConfigError(path, ["(top level): expected a mapping of keys"])
    try:
        cfg = Config.model_validate(raw)
    except ValidationError as exc:
        problems = [f"{key}: {msg}" for key, msg in validation_problems(exc)]
        raise ConfigError(path, problems) from None
    problems = _cross_key_problems(cfg)
    if problems:
        raise ConfigError(path, problems)
    return cfg


def load_config(path: Path | str | None = None) -> Config:
    """Load and validate a YAML configuration; ``None`` means $YUQING_CONFIG or the default."""
    chosen = Path(path or os.environ.get("YUQING_CONFIG") or DEFAULT_CONFIG)
    try:
        text = chosen.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(chosen, [f"cannot read file: {exc.strerror or exc}"]) from None
    try:
        raw = load_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", exc)
        raise ConfigError(chosen, [f"{where}invalid YAML: {problem}"]) from None
    return parse_config(raw, chosen)


Secret = Annotated[str, "name of an environment variable"]


def missing_secrets(cfg: Config, environ: Mapping[str, str] = os.environ) -> list[str]:
    """``key.path: VAR is not set`` for every channel secret absent from ``environ``.
    Channels read their secrets at send time, so without this a typo in a variable name
    showed only when the first alert failed, and went to the fallback minutes later."""
    from alerts.config import channel_secrets

    owners = [(f"alerting.receivers[{i}]", r.channels)
              for i, r in enumerate(cfg.alerting.receivers)]
    owners += [(f"duty.people[{i}]", p.channels) for i, p in enumerate(cfg.duty.people)]
    out = []
    for path, channels in owners:
        for j, ch in enumerate(channels):
            for field, var in channel_secrets(ch):
                if not environ.get(var, "").strip():
                    out.append(f"{path}.channels[{j}].{field}: environment variable {var} "
                               f"is not set ({ch.type} channel cannot send)")
    hb = cfg.duty.heartbeat.ping_url_env
    if hb and not environ.get(hb, "").strip():
        out.append(f"duty.heartbeat.ping_url_env: environment variable {hb} is not set "
                   "(the dead-man's switch is never pinged)")
    return out


def secret(env_name: Secret, *, what: str) -> str:
    """Read a secret from the environment, failing with a message that names the variable."""
    value = os.environ.get(env_name)
    if not value:
        raise ConfigError("environment", [f"{env_name}: not set (needed for {what})"])
    return value
