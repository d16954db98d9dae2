"""Core statements run straight on the driver's cursor, for the few statements every launch runs.

SQLAlchemy's execution path costs about 65 µs a statement on top of the driver on the 2-core reference machine
(three upserts in one transaction: 320 µs through `Connection.execute`, 118 µs on the cursor) — most of a
launch's database time. What stays SQLAlchemy's: the SQL, compiled by the connection's dialect once; the
parameters, through each column type's own bind processor; the transaction, the Connection's; the
before/after_cursor_execute events (tests and instrumentation see these statements; `context` is None, as for
SQLAlchemy's own internal statements); and errors, raised as SQLAlchemy exceptions (a lost connection is
invalidated, as `Connection.execute` would). Not logged by SQLALCHEMY_ECHO.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from sqlalchemy import exc
from sqlalchemy.engine import Connection
from sqlalchemy.sql import Executable


@dataclass(frozen=True)
class _Compiled:
    sql: str
    names: tuple[str, ...]  # parameter order, for drivers with positional placeholders (sqlite3's "?")
    positional: bool
    processors: tuple[tuple[str, Callable[[Any], Any]], ...]


class DriverStatement:
    def __init__(self, statement: Executable):
        self.statement = statement
        self._by_dialect: dict[str, _Compiled] = {}

    def _compiled(self, dialect) -> _Compiled:
        found = self._by_dialect.get(dialect.name)
        if found is None:
            compiled = self.statement.compile(dialect=dialect)
            if compiled.escaped_bind_names:  # never with plain column names; refuse rather than bind wrongly
                raise ValueError(f"parameter names need escaping: {dict(compiled.escaped_bind_names)}")
            processors = []
            for name, bind in compiled.binds.items():
                processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
                if processor is not None:
                    processors.append((name, processor))
            found = _Compiled(compiled.string, tuple(compiled.positiontup or compiled.binds), compiled.positional,
                              tuple(processors))
            self._by_dialect[dialect.name] = found
        return found

    def execute(self, connection: Connection, values: dict[str, Any]):
        """Run with `values` (every parameter by name) in the connection's transaction; returns the cursor."""
        compiled = self._compiled(connection.dialect)
        values = dict(values)
        for name, processor in compiled.processors:
            values[name] = processor(values[name])
        parameters = tuple(values[name] for name in compiled.names) if compiled.positional else values
        dbapi = connection.dialect.loaded_dbapi
        cursor = connection.connection.cursor()
        sql = compiled.sql
        for listener in connection.dispatch.before_cursor_execute:
            sql, parameters = listener(connection, cursor, sql, parameters, None, False)
        try:
            cursor.execute(sql, parameters)
        except dbapi.Error as error:
            disconnected = connection.dialect.is_disconnect(error, connection.connection.dbapi_connection, cursor)
            cursor.close()
            if disconnected:
                connection.invalidate(error)
            raise exc.DBAPIError.instance(sql, parameters, error, dbapi.Error,
                                          connection_invalidated=disconnected,
                                          dialect=connection.dialect) from error
        for listener in connection.dispatch.after_cursor_execute:
            listener(connection, cursor, sql, parameters, None, False)
        return cursor
