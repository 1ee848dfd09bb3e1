"""Errors a user can fix. The command line prints them in one line, without a traceback."""


class UserError(Exception):
    """Bad input or missing data: the message says what is wrong and what to do."""


class DataNotFoundError(UserError):
    """A dataset file is neither in the data home nor downloadable."""


def decode_text(data: bytes, name, kind: str) -> str:
    """``data`` as text (UTF-8, a BOM dropped); a :class:`UserError` naming ``name``, the
    line and the offset for binary data (a NUL byte) or bytes that are not UTF-8. ``kind``
    says what the file should be ("a CSV text file")."""
    if b"\x00" in data:
        offset = data.index(b"\x00")
        line = data[:offset].count(b"\n") + 1
        raise UserError(f"{name}: line {line}: NUL byte at offset {offset}: binary data, not {kind}")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise UserError(f"{name}: line {line}: byte 0x{data[exc.start]:02x} at offset {exc.start} "
                        f"is not valid UTF-8; re-save the file as UTF-8") from None
