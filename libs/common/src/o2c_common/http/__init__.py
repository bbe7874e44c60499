"""HTTP plumbing: Idempotency-Key, cursor pagination, ETag / If-Match."""

from o2c_common.http.etag import (
    etag_for_content,
    if_match_satisfied,
    make_etag,
    parse_entity_tags,
    require_if_match,
    set_etag,
)
from o2c_common.http.idempotency import (
    IDEMPOTENCY_KEY_HEADER,
    Idempotency,
    IdempotencyDep,
    idempotency,
    normalise_key,
    request_fingerprint,
)
from o2c_common.http.idempotency_store import (
    REPLAYED_HEADER,
    Claim,
    IdempotencyKeyInProgress,
    IdempotencyKeyReused,
    IdempotencyStore,
    StoredResponse,
)
from o2c_common.http.pagination import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    Page,
    PageParams,
    PageRequest,
    build_page,
    decode_cursor,
    encode_cursor,
    keyset_select,
    pagination,
)

__all__ = [
    "DEFAULT_LIMIT",
    "IDEMPOTENCY_KEY_HEADER",
    "MAX_LIMIT",
    "REPLAYED_HEADER",
    "Claim",
    "Idempotency",
    "IdempotencyDep",
    "IdempotencyKeyInProgress",
    "IdempotencyKeyReused",
    "IdempotencyStore",
    "Page",
    "PageParams",
    "PageRequest",
    "StoredResponse",
    "build_page",
    "decode_cursor",
    "encode_cursor",
    "etag_for_content",
    "idempotency",
    "if_match_satisfied",
    "keyset_select",
    "make_etag",
    "normalise_key",
    "pagination",
    "parse_entity_tags",
    "request_fingerprint",
    "require_if_match",
    "set_etag",
]
