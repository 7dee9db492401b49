"""Helpers of the write-the-tests tests: the kit's folder, and a few tiny test files."""

from __future__ import annotations

from pathlib import Path

KIT = Path(__file__).resolve().parents[2]
