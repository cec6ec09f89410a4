"""guidelab: A/B test in-app guides and decide, with sound statistics, which to keep.

The data flow is one way: spec -> assignment -> events -> metrics (SQL) -> sufficient
statistics -> tests -> decision -> report. See ``../shared/ARCHITECTURE.md`` and the README.
"""

__version__ = "0.1.0"
