"""Errors a user can fix. The command line prints them in one line, without a traceback."""


class UserError(Exception):
    """Bad input or missing data: the message says what is wrong and what to do."""


class DataNotFoundError(UserError):
    """A dataset file is neither in the data home nor downloadable."""
