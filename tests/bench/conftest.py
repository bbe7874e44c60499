"""The bench package lives at the repository root (``python -m bench``), outside the installed packages."""

import sys
from pathlib import Path

ROOT = str(Path(__file__).resolve().parents[2])
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
