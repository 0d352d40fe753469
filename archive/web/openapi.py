"""The OpenAPI document of the web app, and the query parameters each endpoint takes.

The endpoints read their parameters through :func:`parameters_of`, and refuse a
parameter the document does not list, so the document and the code cannot drift
apart; ``tests/test_web.py`` checks that every route is in the document and every
path of the document is a route.
"""

from __future__ import annotations

from typing import Any

from archive.web.limits import (
    DEFAULT_KWIC_LIMIT,
    MAX_CONTEXT,
    MAX_KWIC_LIMIT,
    MAX_LIMIT,
    MAX_PAGE,
    MAX_UPLOAD,
    MAX_WIDTH,
)


def _param(name: str, description: str, schema: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {"name": name, "in": "query", "description": description, "schema": schema, **more}


def _integer(low: int, high: int, default: int) -> dict[str, Any]:
    return {"type": "integer", "minimum": low, "maximum": high, "default": default}


_Q = _param(
    "q",
    'The query: words, AND, OR, NOT, "phrase", prefix*, title:word (docs/search.md); '
    "its length is limited as the library limits it (a QueryError past it).",
    {"type": "string"},
    required=True,
)
_EXACT = _param(
    "exact",
    "Letters as written, and every mark written in the query (1/0, true/false).",
    {"type": "boolean", "default": False},
)
_MATCH = _param(
    "match",
    "all: every word must match; any: any word, ranked, question words dropped.",
    {"type": "string", "enum": ["all", "any"], "default": "all"},
)
_SOURCE = _param("source", "Only passages whose source matches this glob.", {"type": "string"})
_WHERE = _param(
    "where",
    "KEY=VALUE: only passages whose metadata KEY has VALUE; repeat it to require several.",
    {"type": "array", "items": {"type": "string"}},
    style="form",
    explode=True,
)
_SORT = _param(
    "sort",
    "score (the default), source (the order in the sources) or meta:KEY.",
    {"type": "string", "default": "score"},
)
_PAGE = _param("page", "The page to show.", _integer(1, MAX_PAGE, 1))
_FACET = _param(
    "facet",
    "source or meta:KEY: count the hits by that key's values (in facets); repeatable.",
    {"type": "array", "items": {"type": "string"}},
    style="form",
    explode=True,
)
_GROUP_BY = _param(
    "group_by",
    "source or meta:KEY: the hits grouped by that key, groups ranked by their best hit "
    "(limit groups a page; in groups).",
    {"type": "string"},
)
_STRICT = _param(
    "strict",
    "Letters kept apart for this search, comma-separated: alef_maqsura, ta_marbuta, "
    "hamza_seats (or with -).",
    {"type": "string"},
)
_PER_GROUP = _param("per_group", "Hits of each group with group_by.", _integer(1, 100, 3))
_FILTERS = [_EXACT, _MATCH, _SOURCE, _WHERE, _STRICT]

_ERROR = {"$ref": "#/components/schemas/Error"}


def _errors(*codes: int) -> dict[str, Any]:
    meaning = {
        400: "A bad query or parameter (the library's QueryError message).",
        401: "No bearer token.",
        403: "A wrong bearer token.",
        404: "No such passage.",
        413: "The upload is too large.",
        503: "The index is unavailable, or the request took longer than its time budget.",
    }
    return {
        str(code): {
            "description": meaning[code],
            "content": {"application/json": {"schema": _ERROR}},
        }
        for code in codes
    }


def _ok(description: str, schema: dict[str, Any], media: str = "application/json") -> Any:
    return {"200": {"description": description, "content": {media: {"schema": schema}}}}


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


#: Every operation, by path and method. ``/api/ingest`` is added only when the
#: server allows ingest.
OPERATIONS: dict[str, dict[str, dict[str, Any]]] = {
    "/": {
        "get": {
            "summary": "The search page (its own query string reproduces a search).",
            "parameters": [
                {**_Q, "required": False},
                _EXACT,
                _MATCH,
                _PAGE,
                _param(
                    "view",
                    "results, kwic or counts.",
                    {"type": "string", "enum": ["results", "kwic", "counts"]},
                ),
                _param("passage", "A passage to open.", {"type": "string"}),
            ],
            "responses": _ok("The page.", {"type": "string"}, "text/html"),
        }
    },
    "/static/{name}": {
        "get": {
            "summary": "The page's script and style sheet.",
            "parameters": [
                {
                    "name": "name",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string", "enum": ["app.js", "style.css"]},
                }
            ],
            "responses": {**_ok("The file.", {"type": "string"}, "text/plain"), **_errors(404)},
        }
    },
    "/openapi.json": {
        "get": {
            "summary": "This document.",
            "responses": _ok("The OpenAPI document.", {"type": "object"}),
        }
    },
    "/api/search": {
        "get": {
            "summary": "One page of hits, ranked (Archive.search).",
            "parameters": [
                _Q,
                _param("limit", "Hits per page.", _integer(1, MAX_LIMIT, 10)),
                _PAGE,
                *_FILTERS,
                _SORT,
                _FACET,
                _GROUP_BY,
                _PER_GROUP,
            ],
            "responses": {**_ok("The results.", _ref("SearchResults")), **_errors(400, 503)},
        }
    },
    "/api/passages/{passage_id}": {
        "get": {
            "summary": "One passage by its id (Archive.get), with its neighbours "
            "(Archive.context).",
            "parameters": [
                {
                    "name": "passage_id",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string"},
                },
                _param(
                    "context",
                    "How many passages before and after it in its source, in source "
                    "order, to list (previous and next).",
                    _integer(0, MAX_CONTEXT, 0),
                ),
            ],
            "responses": {**_ok("The passage.", _ref("Passage")), **_errors(400, 404, 503)},
        }
    },
    "/api/kwic": {
        "get": {
            "summary": "A keyword-in-context concordance, a page of lines (Archive.kwic).",
            "parameters": [
                _Q,
                _param(
                    "width",
                    "Characters of context on each side.",
                    _integer(1, MAX_WIDTH, 40),
                ),
                _param("limit", "Lines per page.", _integer(1, MAX_KWIC_LIMIT, DEFAULT_KWIC_LIMIT)),
                _PAGE,
                *_FILTERS,
                _SORT,
            ],
            "responses": {**_ok("The lines.", _ref("Concordance")), **_errors(400, 503)},
        }
    },
    "/api/count": {
        "get": {
            "summary": "Passages and occurrences that match, grouped (Archive.count).",
            "parameters": [
                _Q,
                _param("by", "Group by source, title or a metadata key.", {"type": "string"}),
                *_FILTERS,
            ],
            "responses": {**_ok("The counts.", _ref("Counts")), **_errors(400, 503)},
        }
    },
    "/api/stats": {
        "get": {
            "summary": "Figures about the index (Archive.stats).",
            "responses": {**_ok("The figures.", {"type": "object"}), **_errors(503)},
        }
    },
    "/api/export": {
        "get": {
            "summary": "Every hit, streamed as JSON Lines, CSV or TSV (Archive.hits).",
            "parameters": [
                _Q,
                _param(
                    "format",
                    "jsonl (the default), csv or tsv.",
                    {"type": "string", "enum": ["jsonl", "csv", "tsv"], "default": "jsonl"},
                ),
                _param(
                    "fields",
                    "The fields, comma-separated: id, title, source, score, rank, snippet, "
                    "citation, citation_full, cite, highlights, text, caption, citations, "
                    "meta.KEY.",
                    {"type": "string"},
                ),
                *_FILTERS,
                _SORT,
            ],
            "responses": {
                "200": {
                    "description": "One hit a line (CSV and TSV: a header row first).",
                    "content": {
                        "application/x-ndjson": {"schema": {"type": "string"}},
                        "text/csv": {"schema": {"type": "string"}},
                        "text/tab-separated-values": {"schema": {"type": "string"}},
                    },
                },
                **_errors(400, 503),
            },
        }
    },
}

INGEST: dict[str, dict[str, Any]] = {
    "post": {
        "summary": "Ingest one uploaded file (Archive.ingest); needs the server's token.",
        "security": [{"bearer": []}],
        "parameters": [
            _param(
                "name",
                "The file's name, which says its format (.jsonl, .csv, .tsv, .txt, .md) "
                "and becomes its passages' source. Uploading the same name again "
                "replaces that file: passages it no longer holds are removed.",
                {"type": "string"},
                required=True,
            )
        ],
        "requestBody": {
            "required": True,
            "description": f"The file's content, at most {MAX_UPLOAD:,} bytes.",
            "content": {"application/octet-stream": {"schema": {"type": "string"}}},
        },
        "responses": {
            **_ok("What the ingest did.", _ref("IngestReport")),
            **_errors(400, 401, 403, 413, 503),
        },
    }
}

_STRING = {"type": "string"}
_INT = {"type": "integer"}
_SPANS = {"type": "array", "items": {"type": "array", "items": _INT}}

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error", "type"],
        "properties": {
            "error": {"type": "string", "description": "The message, for people."},
            "type": {"type": "string", "description": "The exception's class name."},
        },
    },
    "Hit": {
        "type": "object",
        "description": "Hit.to_dict() (meta.KEY for each metadata key), the rank, the "
        "citation, and the excerpt the page shows: its text, where it stands in the "
        "passage's text, and its highlights as offsets into the excerpt.",
        "properties": {
            "id": _STRING,
            "title": _STRING,
            "source": _STRING,
            "score": {"type": "number"},
            "rank": _INT,
            "snippet": _STRING,
            "highlights": _SPANS,
            "citation": _STRING,
            "citation_full": _STRING,
            "cite": _ref("Citation"),
            "excerpt": {
                "type": "object",
                "properties": {
                    "text": _STRING,
                    "start": _INT,
                    "end": _INT,
                    "highlights": _SPANS,
                },
            },
        },
    },
    "SearchResults": {
        "type": "object",
        "description": "SearchResults.to_dict() and the options of the search.",
        "properties": {
            "query": _STRING,
            "total": _INT,
            "page": _INT,
            "pages": _INT,
            "limit": _INT,
            "has_next": {"type": "boolean"},
            "exact": {"type": "boolean"},
            "match": _STRING,
            "hint": {
                "type": ["string", "null"],
                "description": "Advice when a question found nothing with match=all.",
            },
            "suggestions": {
                "type": "array",
                "items": _STRING,
                "description": "Did you mean: the query with its misspelt words replaced "
                "by the nearest words of the texts, as written there (empty unless the "
                "search found fewer than 3 passages).",
            },
            "hits": {"type": "array", "items": _ref("Hit")},
            "facets": {
                "type": "object",
                "description": "With facet: for each key, [value, passages] pairs, most first.",
                "additionalProperties": {"type": "array", "items": {"type": "array"}},
            },
            "groups": {
                "type": "array",
                "description": "With group_by: the page's groups (key, value, total, "
                "the ids of their hits), ranked by their best hit.",
                "items": {"type": "object"},
            },
        },
    },
    "Passage": {
        "type": "object",
        "description": "Passage.to_dict() and its citation (short and full as text, "
        "the parts in cite); with context, the ids, titles and short citations of "
        "its neighbours in source order (Archive.context).",
        "properties": {
            "id": _STRING,
            "title": _STRING,
            "text": _STRING,
            "source": _STRING,
            "caption": _STRING,
            "citations": {"type": "array", "items": _STRING},
            "metadata": {"type": "object"},
            "citation": _STRING,
            "citation_full": _STRING,
            "cite": _ref("Citation"),
            "previous": {"type": "array", "items": {"type": "object"}},
            "next": {"type": "array", "items": {"type": "object"}},
        },
    },
    "Citation": {
        "type": "object",
        "description": "Citation.to_dict(): where a passage stands, as data, and its "
        "short and full styles.",
        "properties": {
            "book": _STRING,
            "author": _STRING,
            "died_ah": {"type": ["integer", "null"]},
            "volume": {},
            "page": {},
            "section": _STRING,
            "headings": _STRING,
            "source": _STRING,
            "passage_id": _STRING,
            "short": _STRING,
            "full": _STRING,
        },
    },
    "Concordance": {
        "type": "object",
        "properties": {
            "query": _STRING,
            "width": _INT,
            "page": _INT,
            "limit": _INT,
            "has_next": {"type": "boolean"},
            "lines": {
                "type": "array",
                "items": {"type": "object", "description": "KwicLine.to_dict()"},
            },
        },
    },
    "Counts": {
        "type": "object",
        "description": "Counts.to_dict().",
        "properties": {
            "query": _STRING,
            "by": {"type": ["string", "null"]},
            "passages": _INT,
            "occurrences": _INT,
            "groups": {"type": "array", "items": {"type": "object"}},
        },
    },
    "IngestReport": {
        "type": "object",
        "properties": {
            "files": {"type": "array", "items": _STRING},
            "added": _INT,
            "updated": _INT,
            "unchanged": _INT,
            "removed": _INT,
            "skipped": {"type": "array", "items": _STRING},
            "seconds": {"type": "number"},
        },
    },
}


def document(*, ingest: bool, version: str) -> dict[str, Any]:
    """The OpenAPI 3.1 document of an app (with ``/api/ingest`` when it allows ingest)."""
    paths = dict(OPERATIONS)
    if ingest:
        paths["/api/ingest"] = INGEST
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "archive",
            "version": version,
            "description": "Search an archive of Arabic passages. Errors are "
            '{"error": message, "type": exception class}.',
        },
        "paths": paths,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


def parameters_of(path: str, method: str = "get") -> frozenset[str]:
    """The query parameters the document lists for an operation."""
    operation = {**OPERATIONS, "/api/ingest": INGEST}[path][method]
    return frozenset(p["name"] for p in operation.get("parameters", ()) if p["in"] == "query")
