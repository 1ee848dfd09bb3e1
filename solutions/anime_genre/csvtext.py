"""Strict CSV parsing without pandas: what the dataset loaders and ``anime-genre predict
--column`` share (predict imports nothing heavy, so this module does not either)."""
from __future__ import annotations

import csv
import io

from .errors import UserError


def strict_rows(text: str, file: str, blank_rows: bool = False) -> tuple:
    """``(header, rows, lines)`` of CSV text: the header's fields, each data row's fields, and
    for each data row the line of the file where it ends. ``blank_rows``: an empty line is a
    row of no fields (``[]``) instead of an error.

    Raises :class:`UserError` naming ``file`` and the row and line for: a malformed quote, a
    last row cut off (inside a quoted field or without its final line break), a row with the
    wrong number of fields. Fields may be of any length (the csv module's default limit of
    131,072 characters is lifted)."""
    csv.field_size_limit(max(csv.field_size_limit(), len(text) + 1))
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records = []
    try:
        for fields in reader:
            records.append((fields, reader.line_num))
    except csv.Error as exc:
        if "end of data" in str(exc):  # strict mode: the file ended inside a quoted field
            raise UserError(f"{file}: line {reader.line_num}: {exc} — the last row is cut off "
                            f"(an open quote runs to the end of the file)") from None
        raise UserError(f"{file}: line {reader.line_num}: malformed CSV ({exc}); a quote inside "
                        f"a field must be doubled (\"\")") from None
    if not records:
        raise UserError(f"{file}: no header row; expected a CSV table with a header row")
    header = records[0][0]
    body = records[1:]
    for i, (fields, line) in enumerate(body, 1):
        if len(fields) != len(header) and not (blank_rows and not fields):
            cut = i == len(body) and len(fields) < len(header)
            raise UserError(f"{file}: row {i} (line {line}) has {len(fields)} "
                            f"field{'' if len(fields) == 1 else 's'}, expected "
                            f"{len(header)} ({', '.join(header)})"
                            + (" — the last row may be cut off" if cut else
                               "; fix that row (a comma inside a field needs quotes) or delete it"))
    if body and not text.endswith(("\n", "\r")):
        raise UserError(f"{file}: row {len(body)} (line {body[-1][1]}, the last) has no final line "
                        f"break, so it may be cut off; if the file is complete, add a line break "
                        f"at its end")
    return header, [f for f, _ in body], [line for _, line in body]
