"""Duty operations: the roster (who is on shift), the responsibility grid (网格化 /
四联四包), escalation of unacknowledged alerts, the heartbeat, crawl health and the shift
hand-over. Job bodies are functions of (configuration, now); ``yuqing.scheduler`` wires them.
"""
