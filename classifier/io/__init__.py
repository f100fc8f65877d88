"""Input and output adapters: the only place raw strings become typed values.

Read records (:func:`read_records`), type them (:func:`parse_records` / :func:`parse_record`),
classify with :mod:`classifier.api`, write one row per input record (:class:`ResultWriter`)::

    ruleset = load_standard("nd-07-2021")
    keys = known_indicator_keys()
    with ResultWriter("ket-qua.csv", ruleset) as out:
        for record, result in parse_records(read_records("ho.csv", members_path="thanh-vien.csv"),
                                            catalogue=ruleset.facts, indicator_keys=keys):
            out.write(record, result if isinstance(result, list) else classify(result, ruleset))
"""

from classifier.io.columns import ColumnMap, default_column_map, known_indicator_keys
from classifier.io.readers import detect_format, read_records
from classifier.io.records import RawRecord, parse_record, parse_records
from classifier.io.writers import ResultWriter, result_columns

__all__ = [
    "ColumnMap",
    "RawRecord",
    "ResultWriter",
    "default_column_map",
    "detect_format",
    "known_indicator_keys",
    "parse_record",
    "parse_records",
    "read_records",
    "result_columns",
]
