"""Alerting, modelled on Prometheus Alertmanager.

- ``alerts.config``: the ``alerting:`` configuration section (route tree, receivers, inhibition)
- ``alerts.routing``: ``plan`` (pure: what to send at ``now``) and ``dry_run`` (for replay)
- ``alerts.dispatch``: one cycle: plan → SQLite outbox → delivery
- ``alerts.outbox`` / ``alerts.delivery`` / ``alerts.channels``: durable delivery via apprise
- ``alerts.silences``, ``alerts.cli``: silences and the ``yuqing alerts`` commands

Kept free of imports here because ``yuqing.config`` imports ``alerts.config``.
"""
