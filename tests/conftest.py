"""Test-wide set-up: strict translations and the project root on sys.path."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# A page that shows a string missing from a catalogue must fail its test.
os.environ["KAMSTUDIO_STRICT_I18N"] = "1"
