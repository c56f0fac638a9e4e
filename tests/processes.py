"""Helpers for tests that follow processes: the members of a process group (psutil)."""

from __future__ import annotations

import os

import psutil


def group_members(pgid: int) -> list[int]:
    """Live (not zombie) processes of a process group."""
    members = []
    for p in psutil.process_iter(["status"]):
        try:
            if p.info["status"] != psutil.STATUS_ZOMBIE and os.getpgid(p.pid) == pgid:
                members.append(p.pid)
        except (ProcessLookupError, psutil.Error):
            continue
    return members
