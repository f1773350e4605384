"""Fixtures for the robustness tests: the offline Inspect environment (as in tests/inspect)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def inspect_env(monkeypatch: pytest.MonkeyPatch, data_dir: Path, tmp_path: Path) -> Path:
    """Local data, offline hub, logs under ``tmp_path``; returns the log folder."""
    logs = tmp_path / "logs"
    monkeypatch.setenv("SUSTAIN_DATA_DIR", str(data_dir))
    monkeypatch.setenv("INSPECT_LOG_DIR", str(logs))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    return logs
