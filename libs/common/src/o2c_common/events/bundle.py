"""Bundles: many events of one type in one outbox row and one Kafka record, for the bulk paths.

A bulk unit of work (a chunk of historical invoices, a payment batch, a consumer batch's effects) emits hundreds of
events at once. Stored and sent one by one, each is inserted, marked published, produced, stored by the broker and
fetched: per-event costs that were most of a history row's (docs/performance.md). :func:`outbox_rows` writes such a
list as bundle rows, each holding the events of one topic, type and relay slot, every one still a whole CloudEvent
with its own id, headers and payload. The relay splits a bundle by the partition each member's key goes to
(:func:`by_partition`), so an aggregate's events stay on its partition and in order; a part of one member is sent as
the plain event it is. A consumer expands a bundle record into one record a member (:func:`unbundle`) before
anything else reads it: claims, handlers and dead letters see the same events as if they had come one by one.

A bundle record carries ``ce_type`` (the members' type, so a group skips what it does not handle without opening it),
``o2c_bundle`` (the member count) and, when its members are imported history, ``o2c_history`` (so a group acting on
today's work only skips it unopened too); its value is, for each member, three length-prefixed fields: the key, the
headers as the outbox stores them (a JSON list of pairs) and the payload.
"""

from __future__ import annotations

import dataclasses
import json
import struct
import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from aiokafka.structs import ConsumerRecord

from o2c_common.events.envelope import HISTORY_HEADER

BUNDLE_HEADER = "o2c_bundle"
BUNDLE_FROM = 32
"""Events a list must hold to be bundled: a request's or a small consumer batch's few events stay plain rows (they
would gain little), and 32 events over the relay's 16 slots always fill a bundle."""
MAX_MEMBERS = 250
MAX_BYTES = 512 * 1024
"""A bundle's bounds: far below the producer's 1 MiB request and a consumer's fetch."""

_LENGTH = struct.Struct(">I")

Member = tuple[str, str, bytes]
"""A bundled event: its key, its headers as a JSON list of ``[name, value]`` pairs, and its payload."""


class BundleError(ValueError):
    """A bundle value that does not parse (the record is then undecodable, as a whole)."""


def pack(members: Iterable[Member]) -> bytes:
    parts: list[bytes] = []
    for key, headers, value in members:
        for field in (key.encode(), headers.encode(), value):
            parts += (_LENGTH.pack(len(field)), field)
    return b"".join(parts)


def _frames(value: bytes, count: int) -> list[tuple[int, int, list[slice]]]:
    """Each member's frames in ``value``: where they start and end, and its three fields; :class:`BundleError` unless
    it holds exactly ``count`` members, each field within the value."""
    frames: list[tuple[int, int, list[slice]]] = []
    at, end = 0, len(value)
    try:
        while at < end:
            start, fields = at, []
            for _ in range(3):
                (size,) = _LENGTH.unpack_from(value, at)
                fields.append(slice(at + 4, at + 4 + size))
                at += 4 + size
            if at > end:
                raise BundleError("a field runs past the end of the bundle")
            frames.append((start, at, fields))
    except struct.error as exc:
        raise BundleError(f"malformed bundle: {exc}") from exc
    if len(frames) != count:
        raise BundleError(f"the bundle holds {len(frames)} events, its header says {count}")
    return frames


def unpack(value: bytes, count: int) -> list[Member]:
    """The ``count`` members of a bundle value; :class:`BundleError` unless it holds exactly that many."""
    try:
        return [(value[key].decode(), value[headers].decode(), bytes(value[payload]))
                for _, _, (key, headers, payload) in _frames(value, count)]
    except UnicodeDecodeError as exc:
        raise BundleError(f"malformed bundle: {exc}") from exc


_HISTORY_PAIR = json.dumps([HISTORY_HEADER, "1"])
"""An event's history header as its outbox headers hold it: no header value can contain it (JSON escapes quotes)."""


def bundle_headers(event_type: str, count: int, *, history: bool = False) -> list[tuple[str, str]]:
    return [("ce_type", event_type), (BUNDLE_HEADER, str(count)), *([(HISTORY_HEADER, "1")] if history else [])]


def is_history_row(headers: str) -> bool:
    """Whether an outbox row's headers (a JSON list of pairs) mark imported history."""
    return _HISTORY_PAIR in headers


def bundled_count(headers: Iterable[tuple[str, Any]]) -> int | None:
    """The member count a record's or outbox row's headers name, or None if it is not a bundle."""
    for name, value in headers:
        if name == BUNDLE_HEADER:
            return _member_count(value)
    return None


def _member_count(value: Any) -> int:
    """The ``o2c_bundle`` header's count (bytes on a record, text in an outbox row); -1 if it is not a number."""
    text = bytes(value).decode(errors="replace") if isinstance(value, bytes | bytearray | memoryview) else str(value)
    return int(text) if text.isdigit() else -1


OutboxRow = tuple[uuid.UUID, str, str, int, str, str, bytes]
"""``(event_id, topic, key, slot, event_type, headers, payload)``, the outbox's columns."""


def outbox_rows(rows: Sequence[OutboxRow], *, new_id: Callable[[], uuid.UUID]) -> list[OutboxRow]:
    """``rows`` with the events of one topic, type and slot (imported history apart) bundled, each key's order kept:
    a key's first event is in the first round, its second in the second, and so on; each round's rows follow the
    round before, so any grouping within a round keeps every key's order. A group of one stays a plain row; bundles
    are cut at :data:`MAX_MEMBERS` and :data:`MAX_BYTES`. A list of fewer than :data:`BUNDLE_FROM` stays plain
    rows."""
    if len(rows) < BUNDLE_FROM:
        return list(rows)
    rounds: list[list[OutboxRow]] = []
    seen: dict[str, int] = {}
    for row in rows:
        at = seen.get(row[2], 0)
        seen[row[2]] = at + 1
        if at == len(rounds):
            rounds.append([])
        rounds[at].append(row)
    return [bundled for round_ in rounds for bundled in _grouped(round_, new_id)]


def _grouped(cut: list[OutboxRow], new_id: Callable[[], uuid.UUID]) -> list[OutboxRow]:
    groups: dict[tuple[str, str, int, bool], list[list[OutboxRow]]] = {}
    sizes: dict[tuple[str, str, int, bool], int] = {}
    for row in cut:
        group = (row[1], row[4], row[3], is_history_row(row[5]))
        parts = groups.setdefault(group, [[]])
        size = len(row[2]) + len(row[5]) + len(row[6])
        if len(parts[-1]) >= MAX_MEMBERS or sizes.get(group, 0) + size > MAX_BYTES:
            parts.append([])
            sizes[group] = 0
        parts[-1].append(row)
        sizes[group] = sizes.get(group, 0) + size
    out: list[OutboxRow] = []
    for (topic, event_type, slot, history), parts in groups.items():
        for part in parts:
            if len(part) == 1:
                out.append(part[0])
                continue
            value = pack((key, headers, payload) for _, _, key, _, _, headers, payload in part)
            out.append((new_id(), topic, part[0][2], slot, event_type,
                        json.dumps(bundle_headers(event_type, len(part), history=history)), value))
    return out


def by_partition(value: bytes, count: int,
                 partition_of: Callable[[bytes], int]) -> dict[int, list[tuple[bytes, bytes]]]:
    """A bundle value's members by the partition their key goes to, in bundle order, each as its key and its frames
    (what :func:`pack` wrote for it, so that a part is the join of its members); :class:`BundleError` as
    :func:`unpack`."""
    parts: dict[int, list[tuple[bytes, bytes]]] = {}
    for start, end, (key, _, _) in _frames(value, count):
        parts.setdefault(partition_of(value[key]), []).append((value[key], value[start:end]))
    return parts


_M = 0x5BD1E995
_MASK = 0xFFFFFFFF


def murmur2(data: bytes) -> int:
    """Kafka's key hash (the Java client's ``Utils.murmur2``), as aiokafka's default partitioner computes it, a
    quarter of its time: the relay hashes every member of every bundle it splits."""
    length = len(data)
    h = 0x9747B28C ^ length
    whole = length & ~3
    for (k,) in _WORD.iter_unpack(data[:whole]):
        k = (k * _M) & _MASK
        k ^= k >> 24
        h = ((h * _M) & _MASK) ^ ((k * _M) & _MASK)
    extra = length - whole
    if extra >= 3:
        h ^= data[whole + 2] << 16
    if extra >= 2:
        h ^= data[whole + 1] << 8
    if extra >= 1:
        h = ((h ^ data[whole]) * _M) & _MASK
    h ^= h >> 13
    h = (h * _M) & _MASK
    return h ^ (h >> 15)


_WORD = struct.Struct("<I")


def partition_for(key: bytes, partitions: Sequence[int]) -> int:
    """The partition of ``partitions`` (sorted) the producer's default partitioner sends ``key`` to."""
    return partitions[(murmur2(key) & 0x7FFFFFFF) % len(partitions)]


def unbundle(records: list[ConsumerRecord],
             wanted: Callable[[str, bool], bool] | None = None) -> list[ConsumerRecord]:
    """``records`` with every bundle replaced by one record a member: same topic, partition, offset and timestamp;
    the member's key, headers and payload; its index in the bundle as ``checksum`` (Kafka's record format v2 has no
    checksum a record), so that a member that cannot be decoded has a position of its own. A bundle that does not
    parse, or names more than :data:`MAX_MEMBERS` members, is left whole: its value is no event, and it is
    dead-lettered as undecodable. A bundle that is not ``wanted`` (by its ``ce_type`` and whether it is imported
    history) stays whole too: the reader skips it by those headers, unopened."""
    if not any(_is_bundle(record) for record in records):
        return records
    out: list[ConsumerRecord] = []
    for record in records:
        count, ce_type, history = _routing(record)
        if count is None or not 0 < count <= MAX_MEMBERS or record.value is None or (
                wanted is not None and not wanted(ce_type, history)):
            out.append(record)
            continue
        try:
            expanded = [_member(record, index, member) for index, member in enumerate(unpack(record.value, count))]
        except (BundleError, ValueError, TypeError, AttributeError):
            out.append(record)
            continue
        out += expanded
    return out


@dataclasses.dataclass
class MemberRecord(ConsumerRecord[bytes, bytes]):
    """A bundle's member as a record (:func:`unbundle`), with its headers as text too when no name comes twice (what
    ``o2c_common.events.envelope.plain_headers`` would make of them), so that a reader does not decode them again."""

    text_headers: dict[str, str] | None = None


def _member(record: ConsumerRecord, index: int, member: Member) -> MemberRecord:
    key, headers, value = member
    pairs = json.loads(headers)
    text = dict(pairs)
    if not all(type(name) is str and type(v) is str for name, v in text.items()):
        raise TypeError("a member's header is not a text name and value")
    raw_key = key.encode()
    return MemberRecord(record.topic, record.partition, record.offset, record.timestamp, record.timestamp_type,
                        raw_key, value, index, len(raw_key), len(value),
                        [(name, v.encode()) for name, v in pairs], text if len(text) == len(pairs) else None)


def _routing(record: ConsumerRecord) -> tuple[int | None, str, bool]:
    """A record's member count (None if it is no bundle, as :func:`bundled_count`), ``ce_type`` and whether it is
    imported history, in one pass over its headers, the first of each name counting."""
    count: int | None = None
    ce_type: str | None = None
    history = False
    for name, value in record.headers or ():
        if name == BUNDLE_HEADER and count is None:
            count = _member_count(value)
        elif name == "ce_type" and ce_type is None:
            ce_type = bytes(value or b"").decode(errors="replace")
        elif name == HISTORY_HEADER:
            history = True
    return count, ce_type or "", history


def _is_bundle(record: ConsumerRecord) -> bool:
    return any(name == BUNDLE_HEADER for name, _ in record.headers or ())


def row_events(event_type: str, headers: Iterable[Sequence[str]], payload: bytes) -> list[tuple[str, str, bytes]]:
    """An outbox row's events as ``(type, headers as JSON, payload)``: the row's own, or its members' if it is a
    bundle (what a reader of the outbox table sees once the relay and the consumer have opened it)."""
    pairs = [(name, value) for name, value in headers]
    count = bundled_count(pairs)
    if count is None:
        return [(event_type, json.dumps(pairs), bytes(payload))]
    return [(event_type, member_headers, value) for _, member_headers, value in unpack(bytes(payload), count)]
