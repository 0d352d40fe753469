"""The Tantivy engine: everything of the archive that imports Tantivy.

* :mod:`~archive.engines.tantivy.store`: the schema, the format record, the
  documents (the archive's analysis as pre-tokenized text), opening, locking;
* :mod:`~archive.engines.tantivy.search`: the query tree built as Tantivy query
  objects, filters, and the archive's order of hits;
* :mod:`~archive.engines.tantivy.engine`: the engine, its snapshots and writers.

Needs the ``tantivy`` extra (``pip install "arabic-archive[tantivy]"``).
"""

from archive.engines.tantivy.engine import TantivyEngine, TantivySnapshot, TantivyWriter

__all__ = ["TantivyEngine", "TantivySnapshot", "TantivyWriter"]
