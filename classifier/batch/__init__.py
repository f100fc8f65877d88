"""National-scale batch classification: stream CSV / JSON Lines / Parquet files through the SQL engine.

>>> from classifier.batch import run_batch          # doctest: +SKIP
>>> run_batch("ho.csv", "ket-qua.csv", ruleset=rs, reference_date=date(2025, 11, 1),
...           members_path="thanh-vien.csv", errors_path="loi.csv")
BatchSummary(read=..., classified=..., errored=..., seconds=...)
"""

from classifier.batch.pipeline import BatchSummary, run_batch

__all__ = ["BatchSummary", "run_batch"]
