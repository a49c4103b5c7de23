"""Every path the project uses, derived from the package location (never the working
directory), with environment overrides:

- ``SENDLIB_DATA_MIRROR``: a local folder laid out ``<dataset>/<file>`` to copy raw files from;
- ``SENDLIB_DATA_DIR``: where ``raw/`` and ``processed/`` live (default ``<project>/data``);
- ``SENDLIB_REPORTS_DIR``: where executed reports go (default ``<project>/reports``);
- ``SENDLIB_NOTEBOOKS_DIR``: where the analysis notebooks are read from (default ``<project>/notebooks``).
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_DIR.parents[1]
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
REFERENCE_DIR = PROJECT_ROOT / "data" / "reference"
SOURCES_CSV = REFERENCE_DIR / "sources.csv"
PROGRAMMES_CSV = REFERENCE_DIR / "programmes.csv"
PROGRAMME_COUNTS_CSV = REFERENCE_DIR / "programme_counts.csv"
PUBLISHED_FIGURES_CSV = REFERENCE_DIR / "published_figures.csv"
HARMONISED_UNITS_CSV = REFERENCE_DIR / "harmonised_units.csv"

KERNEL_NAME = "sendlib"


def data_dir() -> Path:
    """Root of ``raw/`` and ``processed/``."""
    return Path(os.environ.get("SENDLIB_DATA_DIR", PROJECT_ROOT / "data")).resolve()


def raw_dir() -> Path:
    """Immutable raw inputs, as acquired."""
    return data_dir() / "raw"


def processed_dir() -> Path:
    """Cleaned Parquet tables."""
    return data_dir() / "processed"


def reports_dir() -> Path:
    """Executed notebooks, HTML, figures and manifests."""
    return Path(os.environ.get("SENDLIB_REPORTS_DIR", PROJECT_ROOT / "reports")).resolve()


def notebooks_dir() -> Path:
    """The analysis notebooks the runner executes (tests point it at toy notebooks)."""
    return Path(os.environ.get("SENDLIB_NOTEBOOKS_DIR", NOTEBOOKS_DIR)).resolve()


def mirror_dir() -> Path | None:
    """The local mirror folder named by ``SENDLIB_DATA_MIRROR``, or None when unset."""
    value = os.environ.get("SENDLIB_DATA_MIRROR", "").strip()
    return Path(value).expanduser().resolve() if value else None
