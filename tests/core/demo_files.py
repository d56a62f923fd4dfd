"""Reading the committed demo files the way a test wants them (independent of kamcore.ingest)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

DEMO_DIR = Path(__file__).resolve().parents[2] / "data" / "demo"


def read_norwegian(path: Path) -> pd.DataFrame:
    """A demo CSV read with plain pandas: ';', decimal comma, BOM; ids kept as text."""
    return pd.read_csv(path, sep=";", decimal=",", encoding="utf-8-sig", dtype={"Kundenr": str, "Respondent": str})
