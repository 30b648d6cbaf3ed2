"""The embedded demo database (a fictional lender in DuckDB), so Olympus works with no setup.

Light on import: the app reads these constants on every start; numpy/DuckDB load only to build.
"""

from olympus.demo.build import (
    DEFAULT_SEED, DEMO_TABLES, DESCRIPTION, N_CUSTOMERS, SAMPLE_QUESTIONS, DemoInfo, build_demo,
)

__all__ = ["DEFAULT_SEED", "DEMO_TABLES", "DESCRIPTION", "N_CUSTOMERS", "SAMPLE_QUESTIONS",
           "DemoInfo", "build_demo"]
