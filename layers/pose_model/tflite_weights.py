"""Read TFLite weight buffers, including sparse (DENSIFY) ones, as numpy."""

from __future__ import annotations

import numpy as np
import tflite


class ConversionError(RuntimeError):
    pass


def buffer_bytes(model: tflite.Model, raw: bytes, tensor: tflite.Tensor) -> bytes | None:
    buf = model.Buffers(tensor.Buffer())
    if buf is None:
        return None
    if buf.Offset() > 1:  # large models keep data after the flatbuffer
        return raw[buf.Offset() : buf.Offset() + buf.Size()]
    if buf.DataLength() == 0:
        return None
    return buf.DataAsNumpy().tobytes()


def _index_vector(dim_meta, which: str) -> np.ndarray:
    """Read a SparseIndexVector union (int32 / uint16 / uint8)."""
    kind = getattr(dim_meta, f"Array{which}Type")()
    table = getattr(dim_meta, f"Array{which}")()
    vec_cls = {1: tflite.Int32Vector, 2: tflite.Uint16Vector, 3: tflite.Uint8Vector}[kind]
    vec = vec_cls()
    vec.Init(table.Bytes, table.Pos)
    return vec.ValuesAsNumpy().astype(np.int64)


def densify(values: np.ndarray, shape: list[int], sparsity) -> np.ndarray:
    """Expand a TFLite sparse tensor (dense/CSR dims, no blocks) to dense.

    Walks the dimensions in traversal order, keeping for every stored value
    its position in the compressed storage and its coordinates so far.
    """
    if sparsity.BlockMapLength():
        raise ConversionError("block-sparse tensors are not supported")
    order = list(sparsity.TraversalOrderAsNumpy())
    positions = np.zeros(1, dtype=np.int64)
    coords: list[np.ndarray] = []
    for level in range(sparsity.DimMetadataLength()):
        meta = sparsity.DimMetadata(level)
        if meta.Format() == tflite.DimensionType.DENSE:
            size = meta.DenseSize()
            coord = np.tile(np.arange(size), positions.size)
            coords = [np.repeat(c, size) for c in coords]
            positions = np.repeat(positions, size) * size + coord
        else:
            segments = _index_vector(meta, "Segments")
            indices = _index_vector(meta, "Indices")
            starts, ends = segments[positions], segments[positions + 1]
            counts = ends - starts
            parent = np.repeat(np.arange(positions.size), counts)
            offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
            positions = starts[parent] + offsets
            coords = [c[parent] for c in coords]
            coord = indices[positions]
        coords.append(coord)
    dense = np.zeros(shape, dtype=values.dtype)
    index = [None] * len(shape)
    for level, dim in enumerate(order):
        index[dim] = coords[level]
    dense[tuple(index)] = values[: coords[0].size]
    return dense
