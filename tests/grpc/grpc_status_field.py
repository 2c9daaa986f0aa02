"""The field a gRPC error names in its google.rpc.BadRequest (grpc-status-details-bin), decoded
from the wire format directly: Debian packages no googleapis Python modules."""


def _fields(data, number):
    out, i = [], 0
    while i < len(data):
        tag, i = _varint(data, i)
        wire = tag & 7
        if wire == 2:
            size, i = _varint(data, i)
            if tag >> 3 == number:
                out.append(data[i:i + size])
            i += size
        elif wire == 0:
            _, i = _varint(data, i)
        else:
            break
    return out


def _varint(data, i):
    shift = value = 0
    while True:
        b = data[i]
        i += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return value, i


def field_of(error):
    for key, value in (error.trailing_metadata() or ()):
        if key != "grpc-status-details-bin":
            continue
        for any_msg in _fields(value, 3):
            types = _fields(any_msg, 1)
            if not types or types[0] != b"type.googleapis.com/google.rpc.BadRequest":
                continue
            for bad_request in _fields(any_msg, 2):
                for violation in _fields(bad_request, 1):
                    names = _fields(violation, 1)
                    if names:
                        return names[0].decode()
    return None
