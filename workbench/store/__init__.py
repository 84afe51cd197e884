"""The preference store: ratings, safety-filter decisions and runs in a database (SQLAlchemy; SQLite by default,
PostgreSQL by URL), with the `workbench ratings`, `workbench filter-decisions` and `workbench ui` commands.

  db.py             opening a store (URL, WAL, write transactions, Alembic migrations in migrations/)
  schema.py         the tables
  ratings.py        prompts, responses, pairs, the rater's queue (overlap), recording and revising comparisons,
                    store settings (overlap, guidelines)
  gold.py           gold pairs (a known answer) to check raters
  access.py         rater login tokens and roles for the UI
  preference_io.py  importing TRL preference files / response pairs, exporting a TRL preference dataset
  filters.py        filter decisions, overrides, the overrides file the filter stage reads
  stats.py          comparison table, choice distribution, win rates, rater agreement (Cohen's / Fleiss' kappa,
                    Krippendorff's alpha, per rater, gold accuracy)
  runs.py           a run directory's stages, metrics, training curves, evaluation report and side-by-side samples
  live.py           answering a rater's typed prompt with two of a run's models, as a new pair
  cli.py            the commands
The UI itself is the Streamlit app in ui/ (outside the package), started by `workbench ui`.
"""

from workbench.store.db import DEFAULT_DB, Store, database_url, open_store

__all__ = ["DEFAULT_DB", "Store", "database_url", "open_store"]
