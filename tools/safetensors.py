"""Minimal safetensors reader/writer in pure Python (struct + json), for our tools and tests.

File layout: 8-byte little-endian header length N, N bytes of JSON
  {"name": {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, ...,
   "__metadata__": {"key": "string value"}}
then the data area (offsets are relative to its start). We read and write F32 and F16 only.

What we write: JSON keys sorted, header padded with spaces so the data area starts at a multiple
of 8 bytes, tensors stored back to back in name order (the official reader rejects gaps between
tensors, so alignment beyond the element size would cost compatibility).

Run as a script to print a file's header: python3 tools/safetensors.py FILE
"""

import json
import os
import struct
import sys
import tempfile
from array import array

DTYPE_SIZES = {"F32": 4, "F16": 2}
METADATA_KEY = "__metadata__"
_HEADER_ALIGN = 8
# A header larger than this is hostile or broken, not a model we could use.
_MAX_HEADER = 100 * 1024 * 1024


class SafetensorsError(ValueError):
    pass


class Tensor:
    """One tensor as stored: dtype, shape and the raw little-endian bytes."""

    def __init__(self, dtype, shape, raw):
        self.dtype = dtype
        self.shape = tuple(shape)
        self.raw = bytes(raw)

    @property
    def n_elements(self):
        n = 1
        for d in self.shape:
            n *= d
        return n

    def values(self):
        """The elements as an array('f') of float32, whatever the stored dtype."""
        if self.dtype == "F32":
            out = array("f")
            out.frombytes(self.raw)
            if sys.byteorder == "big":
                out.byteswap()
            return out
        return array("f", struct.unpack("<%de" % self.n_elements, self.raw))

    def __repr__(self):
        return "Tensor(%s, %s)" % (self.dtype, list(self.shape))


def _encode(values, dtype):
    """values: bytes-like object already holding little-endian float32, or a sequence of numbers."""
    if isinstance(values, (bytes, bytearray, memoryview)):
        raw = bytes(values)
        if dtype == "F32":
            return raw
        if len(raw) % 4:
            raise SafetensorsError("raw float32 data must be a multiple of 4 bytes")
        floats = struct.unpack("<%df" % (len(raw) // 4), raw)
    else:
        floats = values
    if dtype == "F32":
        arr = array("f", floats)
        if sys.byteorder == "big":
            arr.byteswap()
        return arr.tobytes()
    return struct.pack("<%de" % len(floats), *floats)


def serialize(tensors, metadata=None, dtype="F32"):
    """tensors: {name: (shape, values)} with values as in _encode, or {name: Tensor}.
    metadata: {str: str}. Returns the whole file as bytes."""
    if dtype not in DTYPE_SIZES:
        raise SafetensorsError("unsupported dtype %r (F32 or F16)" % dtype)
    header = {}
    chunks = []
    offset = 0
    for name in sorted(tensors):
        if name == METADATA_KEY:
            raise SafetensorsError("%s is reserved and cannot name a tensor" % METADATA_KEY)
        entry = tensors[name]
        if isinstance(entry, Tensor):
            shape, values = entry.shape, entry.values()
        else:
            shape, values = entry
        shape = [int(d) for d in shape]
        raw = _encode(values, dtype)
        expected = DTYPE_SIZES[dtype]
        for d in shape:
            expected *= d
        if len(raw) != expected:
            raise SafetensorsError("tensor %s: %d bytes of data for shape %s" % (name, len(raw), shape))
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    if metadata:
        for k, v in metadata.items():
            if not isinstance(k, str) or not isinstance(v, str):
                raise SafetensorsError("metadata keys and values must be strings: %r=%r" % (k, v))
        header[METADATA_KEY] = dict(metadata)
    text = json.dumps(header, sort_keys=True, separators=(",", ":")).encode("utf-8")
    text += b" " * (-(8 + len(text)) % _HEADER_ALIGN)
    return struct.pack("<Q", len(text)) + text + b"".join(chunks)


def save(path, tensors, metadata=None, dtype="F32"):
    """Writes atomically: a temp file in the same folder, fsync, then rename over `path`."""
    data = serialize(tensors, metadata, dtype)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), suffix=".tmp", dir=folder)
    try:
        # mkstemp makes the file private; give it the mode a plain open() would have.
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def parse_header(buf):
    """Validates the header of a whole file held in `buf`.
    Returns (entries {name: dict}, metadata {str: str}, data_start)."""
    if len(buf) < 8:
        raise SafetensorsError("file too short for a safetensors header (%d bytes)" % len(buf))
    (n,) = struct.unpack_from("<Q", buf, 0)
    if n > _MAX_HEADER or 8 + n > len(buf):
        raise SafetensorsError("header length %d runs past the end of the file (%d bytes)" % (n, len(buf)))
    try:
        header = json.loads(bytes(buf[8:8 + n]).decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise SafetensorsError("header is not valid JSON: %s" % e)
    if not isinstance(header, dict):
        raise SafetensorsError("header is not a JSON object")
    metadata = header.pop(METADATA_KEY, {}) or {}
    if not isinstance(metadata, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
        raise SafetensorsError("__metadata__ must map strings to strings")
    data_start = 8 + n
    data_len = len(buf) - data_start
    spans = []
    for name, e in header.items():
        if not isinstance(e, dict):
            raise SafetensorsError("entry %s is not an object" % name)
        dtype, shape, offs = e.get("dtype"), e.get("shape"), e.get("data_offsets")
        if dtype not in DTYPE_SIZES:
            raise SafetensorsError("tensor %s has unsupported dtype %r" % (name, dtype))
        if not isinstance(shape, list) or not all(isinstance(d, int) and d >= 0 for d in shape):
            raise SafetensorsError("tensor %s has a bad shape %r" % (name, shape))
        if (not isinstance(offs, list) or len(offs) != 2
                or not all(isinstance(o, int) for o in offs) or not 0 <= offs[0] <= offs[1] <= data_len):
            raise SafetensorsError("tensor %s has offsets %r outside the data area (%d bytes)"
                                   % (name, offs, data_len))
        size = DTYPE_SIZES[dtype]
        for d in shape:
            size *= d
        if offs[1] - offs[0] != size:
            raise SafetensorsError("tensor %s: shape %s needs %d bytes, offsets give %d"
                                   % (name, shape, size, offs[1] - offs[0]))
        spans.append((offs[0], offs[1], name))
    spans.sort()
    for (b0, e0, n0), (b1, e1, n1) in zip(spans, spans[1:]):
        if b1 < e0:
            raise SafetensorsError("tensors %s and %s overlap" % (n0, n1))
    return header, metadata, data_start


def loads(buf):
    """Returns ({name: Tensor}, metadata) from the bytes of a whole file."""
    header, metadata, start = parse_header(buf)
    tensors = {}
    for name, e in header.items():
        b, end = e["data_offsets"]
        tensors[name] = Tensor(e["dtype"], e["shape"], buf[start + b:start + end])
    return tensors, metadata


def load(path):
    with open(path, "rb") as f:
        return loads(f.read())


def main(argv):
    if len(argv) != 2:
        print("usage: %s FILE.safetensors" % argv[0], file=sys.stderr)
        return 2
    try:
        tensors, metadata = load(argv[1])
    except (OSError, SafetensorsError) as e:
        print("%s: %s" % (argv[1], e), file=sys.stderr)
        return 1
    for k in sorted(metadata):
        print("%s = %s" % (k, metadata[k]))
    total = 0
    for name in sorted(tensors):
        t = tensors[name]
        total += t.n_elements
        print("%-40s %s %s" % (name, t.dtype, list(t.shape)))
    print("%d tensors, %d elements" % (len(tensors), total))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
