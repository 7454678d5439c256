"""A leader lease in Elasticsearch, for several scheduler hosts (see yuqing.leader)."""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from datetime import UTC, datetime, timedelta

from elasticsearch import ApiError, ConflictError, NotFoundError, TransportError

log = logging.getLogger(__name__)


class EsLease:
    DOC = "scheduler"

    def __init__(self, es, prefix: str, ttl: timedelta, holder: str | None = None):
        self.index, self.ttl = f"{prefix}-locks", ttl
        # The client's own timeout (30 s, retried twice) could outlast a 90 s lease: a
        # renewal must come back, or give up, while most of the lease is left.
        self.timeout = ttl / 6
        self.es = es.options(request_timeout=max(self.timeout.total_seconds(), 0.2),
                             max_retries=1, retry_on_timeout=True)
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self._expires: datetime | None = None
        # What a standby's heartbeat job needs (``yuqing.jobs.standby_heartbeat``):
        # ``cut_off``: this instance led, lost the cluster and stood down, and has not
        # reached it since; nobody may be leading, so it still tells the officer.
        # ``holder_seen``: the live leader it last saw, when that is another instance.
        self.cut_off = False
        self.holder_seen: str | None = None

    def _doc(self, now: datetime) -> dict[str, str]:
        return {"holder": self.holder, "expires_at": (now + self.ttl).isoformat(),
                "renewed_at": now.isoformat()}

    def is_leader(self, now: datetime | None = None) -> bool:
        now = now or datetime.now(UTC)
        # Renew when a third of the TTL is used, well before anyone may take over.
        if self._expires is not None and now < self._expires - self.ttl * 2 / 3:
            return True
        started = time.monotonic()
        try:
            return self._check(now)
        except (ApiError, TransportError) as exc:
            # The answer is about the moment the attempt gave up, not the one it began.
            return self._unconfirmed(now + timedelta(seconds=time.monotonic() - started),
                                     exc)

    def _unconfirmed(self, now: datetime, exc: Exception) -> bool:
        """The cluster did not answer. No one can take over before our lease ends, so we
        still lead until shortly before then (a job started at the last moment must not
        run on into a successor's); after that we must not act, whatever happens."""
        self.holder_seen = None  # who leads now is unknown
        if self._expires is not None and now < self._expires - self.timeout:
            log.error("leader lease %s/%s could not be renewed (%s); leading until %s "
                      "unless renewed", self.index, self.DOC, exc,
                      (self._expires - self.timeout).isoformat())
            return True
        if self._expires is not None:
            log.error("leader lease %s/%s could not be renewed (%s) and ends at %s: "
                      "stepping down", self.index, self.DOC, exc, self._expires.isoformat())
            self.cut_off = True
        else:
            log.error("leader lease %s/%s could not be checked: %s", self.index, self.DOC,
                      exc)
        self._expires = None
        return False

    def _check(self, now: datetime) -> bool:
        answer = self._ask(now)
        self.cut_off = False  # the cluster answered
        return answer

    def _ask(self, now: datetime) -> bool:
        try:
            self.es.index(index=self.index, id=self.DOC, document=self._doc(now),
                          op_type="create", refresh=True)
            return self._won(now)
        except ConflictError:
            pass
        try:
            cur = self.es.get(index=self.index, id=self.DOC)
        except NotFoundError:
            return False  # deleted between our two calls: try again next time
        src = cur["_source"]
        mine = src.get("holder") == self.holder
        expired = datetime.fromisoformat(src["expires_at"]) <= now
        self.holder_seen = None if (mine or expired) else src.get("holder")
        if not (mine or expired):
            self._expires = None
            return False
        try:
            self.es.index(index=self.index, id=self.DOC, document=self._doc(now),
                          if_seq_no=cur["_seq_no"], if_primary_term=cur["_primary_term"],
                          refresh=True)
        except ConflictError:
            self._expires = None
            return False  # someone else renewed or took it first
        return self._won(now, taken_over=not mine)

    def _won(self, now: datetime, taken_over: bool = False) -> bool:
        if self._expires is None:
            log.warning("this instance is now the leader (Elasticsearch lease %s/%s%s)",
                        self.index, self.DOC, ", taken over from an expired holder"
                        if taken_over else "")
        self._expires = now + self.ttl
        self.holder_seen = None
        return True

    def release(self) -> None:
        if self._expires is None:
            return
        try:
            cur = self.es.get(index=self.index, id=self.DOC)
            if cur["_source"].get("holder") == self.holder:
                self.es.delete(index=self.index, id=self.DOC, if_seq_no=cur["_seq_no"],
                               if_primary_term=cur["_primary_term"], refresh=True)
        except Exception as exc:  # expiry frees it anyway
            log.info("lease release: %s", exc)
        self._expires = None
