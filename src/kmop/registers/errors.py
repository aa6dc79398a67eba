"""Errors of the register imports: they always say which file, line and column is wrong."""

from __future__ import annotations

from django.utils.translation import gettext as _


class ImportFileError(Exception):
    """A file of an import is wrong; nothing of the import was applied."""

    def __init__(
        self, message: str, *, file: str, line: int | None = None, column: str | None = None
    ) -> None:
        self.message = message
        self.file = file
        self.line = line
        self.column = column
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += _(", regel %(line)d") % {"line": self.line}
        if self.column:
            where += _(", kolom %(column)s") % {"column": self.column}
        return f"{where}: {self.message}"
