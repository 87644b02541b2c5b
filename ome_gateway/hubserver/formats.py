"""Byte-exact model file formats: safetensors files, GGUF v3 files, and the git/LFS object ids the Hub reports."""
from __future__ import annotations

import hashlib
import json
import math
import struct

# Bytes per element of the safetensors dtypes the generated repos use.
ITEM_SIZE = {"BF16": 2, "F16": 2, "F32": 4, "I32": 4, "I64": 8, "F8_E4M3": 1, "U8": 1}
# GGUF metadata value types (gguf.md in ggml).
GGUF_UINT32, GGUF_FLOAT32, GGUF_BOOL, GGUF_STRING, GGUF_ARRAY, GGUF_UINT64, GGUF_INT32 = 4, 6, 7, 8, 9, 10, 5
GGML_F32 = 0
GGUF_ALIGNMENT = 32
LFS_SUFFIXES = (".safetensors", ".bin", ".gguf", ".onnx", ".pt", ".pth", ".h5", ".msgpack")


def filler(seed: str, size: int) -> bytes:
    """Deterministic pseudo-random bytes standing in for tensor data."""
    block = hashlib.sha256(seed.encode()).digest()
    return (block * (size // len(block) + 1))[:size]


def safetensors_bytes(tensors: dict[str, tuple[str, list[int]]], metadata: dict[str, str] | None = None) -> bytes:
    """A safetensors file: u64 little-endian header length, a JSON header padded with spaces to 8 bytes, the data."""
    header: dict = {"__metadata__": metadata or {"format": "pt"}}
    offset, data = 0, []
    for name, (dtype, shape) in tensors.items():
        size = math.prod(shape) * ITEM_SIZE[dtype]
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + size]}
        data.append(filler(name, size))
        offset += size
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)
    return struct.pack("<Q", len(raw)) + raw + b"".join(data)


def safetensors_header(content: bytes) -> dict:
    """The JSON header of a safetensors file."""
    (length,) = struct.unpack_from("<Q", content)
    return json.loads(content[8:8 + length])


def _gguf_string(text: str) -> bytes:
    raw = text.encode()
    return struct.pack("<Q", len(raw)) + raw


def _gguf_scalar_type(value) -> int:
    if isinstance(value, bool):
        return GGUF_BOOL
    if isinstance(value, str):
        return GGUF_STRING
    if isinstance(value, float):
        return GGUF_FLOAT32
    return GGUF_UINT32 if 0 <= value < 2**32 else GGUF_UINT64


def _gguf_scalar(kind: int, value) -> bytes:
    if kind == GGUF_STRING:
        return _gguf_string(value)
    return struct.pack({GGUF_BOOL: "<?", GGUF_FLOAT32: "<f", GGUF_UINT32: "<I", GGUF_UINT64: "<Q"}[kind], value)


def _gguf_value(value) -> bytes:
    """Type tag and encoding of a metadata value; lists become GGUF arrays of their first item's type."""
    if isinstance(value, list):
        kind = _gguf_scalar_type(value[0])
        items = b"".join(_gguf_scalar(kind, item) for item in value)
        return struct.pack("<IIQ", GGUF_ARRAY, kind, len(value)) + items
    kind = _gguf_scalar_type(value)
    return struct.pack("<I", kind) + _gguf_scalar(kind, value)


def gguf_bytes(metadata: dict, tensors: dict[str, list[int]]) -> bytes:
    """A GGUF v3 file: header, metadata key/values, tensor infos (F32, dims innermost first), aligned tensor data."""
    metadata = {**metadata, "general.alignment": GGUF_ALIGNMENT}
    out = [b"GGUF", struct.pack("<IQQ", 3, len(tensors), len(metadata))]
    out += [_gguf_string(key) + _gguf_value(value) for key, value in metadata.items()]
    offset, data = 0, b""
    for name, dims in tensors.items():
        out.append(_gguf_string(name) + struct.pack(f"<I{len(dims)}QIQ", len(dims), *dims, GGML_F32, offset))
        blob = filler(name, math.prod(dims) * 4)
        blob += b"\0" * (-len(blob) % GGUF_ALIGNMENT)
        data += blob
        offset += len(blob)
    head = b"".join(out)
    return head + b"\0" * (-len(head) % GGUF_ALIGNMENT) + data


def git_blob_oid(content: bytes) -> str:
    """The git object id of a blob, which the Hub reports as a file's oid/blobId and non-LFS ETag."""
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


def lfs_pointer(content: bytes) -> bytes:
    """The Git LFS pointer file committed in place of a large file."""
    sha = hashlib.sha256(content).hexdigest()
    return f"version https://git-lfs.github.com/spec/v1\noid sha256:{sha}\nsize {len(content)}\n".encode()


def is_lfs(path: str) -> bool:
    return path.endswith(LFS_SUFFIXES)
