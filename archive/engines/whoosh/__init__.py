"""The Whoosh engine: everything of the archive that imports Whoosh.

* :mod:`~archive.engines.whoosh.analysis`: the archive's Arabic analysis as a
  Whoosh analyzer (its import path is pickled into every index: part of the
  index format);
* :mod:`~archive.engines.whoosh.store`: the schema, the format record,
  opening, creating, writers, and the two changes to Whoosh's own classes;
* :mod:`~archive.engines.whoosh.search`: the query tree compiled into Whoosh
  queries, the collectors, scoring with a sharded collection's statistics;
* :mod:`~archive.engines.whoosh.engine`: the engine, its snapshots and writers.
"""

from archive.engines.whoosh.engine import WhooshEngine, WhooshSnapshot, WhooshWriter

__all__ = ["WhooshEngine", "WhooshSnapshot", "WhooshWriter"]
