"""The duty console (``yuqing web``): FastAPI + Jinja2 server-rendered pages and a JSON API.

``app`` builds the application; ``auth`` (users, sessions, CSRF, login rate limit) and
``audit`` keep their state in a small SQLite file under the data dir; ``data`` turns storage
queries into what pages show; ``duty`` adapts the watch calendar (and, later, roster and
escalation) for the duty view. Only ``storage/`` talks to Elasticsearch.
"""
