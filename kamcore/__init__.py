"""KAM Studio's analytic core: ingest, workspaces, portfolio, selection, segments, survey.

Nothing in this package imports Streamlit; every function takes and returns plain
DataFrames or small pydantic models so scripts and tests can use it directly.
"""

__all__ = ["__version__"]
__version__ = "0.1.0"
