"""Queries, engine-neutral: from the text a user writes to what an engine runs.

:mod:`archive.query.parse` reads the query syntax (words, ``"phrases"``,
``prefix*``, ``field:word``, groups and the operators ``AND``, ``OR``, ``NOT``,
``ANDNOT``, ``ANDMAYBE``) into the tree of :mod:`archive.query.syntax`, and
says what is wrong with a malformed query (:class:`archive.errors.QueryError`).
"""
