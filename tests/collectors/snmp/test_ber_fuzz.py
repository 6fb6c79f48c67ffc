"""Property tests of the BER decoder: whatever an agent sends, ``decode_message`` returns a
Message or raises BerError, never anything else, and never hangs.

The lean client decodes every datagram on the event loop; any other exception would escape into
the loop and a slow or endless decode would stall every poll.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dcmon.collectors.snmp import ber
from tests.support.time_limit import time_limit

#: Decoding a datagram of at most 64 KiB takes well under a millisecond; a second means a hang.
LIMIT_S = 1.0
FUZZ = settings(max_examples=400, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

arcs = st.lists(st.integers(0, 2**32 - 1), min_size=0, max_size=12)
oids = st.builds(lambda first, second, rest: ".".join(map(str, (first, second, *rest))),
                 st.integers(0, 2), st.integers(0, 39), arcs)
values = st.one_of(
    st.tuples(st.just("Integer32"), st.integers(-(2**31), 2**31 - 1)),
    st.tuples(st.sampled_from(["Counter32", "Gauge32", "TimeTicks"]), st.integers(0, 2**32 - 1)),
    st.tuples(st.just("Counter64"), st.integers(0, 2**64 - 1)),
    st.tuples(st.sampled_from(["OctetString", "Opaque"]), st.binary(max_size=300)),
    st.tuples(st.just("ObjectIdentifier"), oids),
    st.tuples(st.just("IpAddress"), st.ip_addresses(v=4).map(str)),
    st.tuples(st.sampled_from(["Null", "noSuchObject", "noSuchInstance", "endOfMibView"]),
              st.none()),
)
varbinds = st.lists(st.builds(lambda oid, tv: (oid, tv[0], tv[1]), oids, values), max_size=30)
responses = st.builds(ber.encode_response, st.sampled_from([ber.VERSION_1, ber.VERSION_2C]),
                      st.binary(max_size=40), st.integers(-(2**31), 2**31 - 1),
                      st.integers(0, 18), st.integers(0, 30), varbinds)
requests = st.builds(ber.encode_request, st.sampled_from([ber.VERSION_1, ber.VERSION_2C]),
                     st.binary(max_size=40),
                     st.sampled_from([ber.GET_REQUEST, ber.GET_NEXT_REQUEST,
                                      ber.GET_BULK_REQUEST]),
                     st.integers(0, 2**31 - 1), st.lists(oids, min_size=1, max_size=20),
                     st.integers(0, 5), st.integers(0, 100))
messages = st.one_of(responses, requests)


def decode_or_ber_error(data: bytes) -> ber.Message | None:
    """Decode within the time limit; None for BerError, anything else fails the test."""
    with time_limit(LIMIT_S):
        try:
            return ber.decode_message(data)
        except ber.BerError:
            return None


@FUZZ
@given(st.binary(max_size=4096))
def test_random_bytes_decode_or_raise_ber_error(data: bytes) -> None:
    decode_or_ber_error(data)


@FUZZ
@given(st.binary(max_size=4096))
def test_random_bytes_behind_a_sequence_header(data: bytes) -> None:
    """Random content under a plausible outer header gets past the first checks."""
    for header in (b"\x30" + bytes([min(len(data), 127)]), b"\x30\x82" + len(data).to_bytes(2)):
        decode_or_ber_error(header + data)


@FUZZ
@given(st.data(), messages)
def test_mutated_messages_decode_or_raise_ber_error(data: st.DataObject, message: bytes) -> None:
    assert decode_or_ber_error(message) is not None  # the unmutated message is valid
    mutated = bytearray(message)
    for _ in range(data.draw(st.integers(1, 6), label="mutations")):
        kind = data.draw(st.sampled_from(["set", "insert", "delete", "truncate"]))
        at = data.draw(st.integers(0, max(0, len(mutated) - 1)), label="at")
        if kind == "set" and mutated:
            mutated[at] = data.draw(st.integers(0, 255))
        elif kind == "insert":
            mutated[at:at] = data.draw(st.binary(min_size=1, max_size=8))
        elif kind == "delete" and mutated:
            del mutated[at]
        else:
            del mutated[at:]
    decode_or_ber_error(bytes(mutated))


@FUZZ
@given(responses)
def test_valid_responses_round_trip(message: bytes) -> None:
    decoded = decode_or_ber_error(message)
    assert decoded is not None and decoded.pdu_type == ber.RESPONSE
    again = ber.encode_response(decoded.version, decoded.community, decoded.request_id,
                                decoded.error_status, decoded.error_index,
                                [(vb.oid, vb.tag, vb.value) for vb in decoded.varbinds])
    assert again == message
