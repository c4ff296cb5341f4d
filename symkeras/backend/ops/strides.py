"""Layout arithmetic shared by lowerings: contiguous strides, broadcast strides, and merging of
dimensions so kernels iterate over as few dimensions as possible."""
import numpy as np


def contiguous_strides(shape):
    strides, s = [], 1
    for d in reversed(shape):
        strides.append(s)
        s *= d
    return strides[::-1]


def broadcast_strides(in_shape, out_shape):
    """Element strides that read `in_shape` as if broadcast to `out_shape` (0 where it repeats)."""
    pad = len(out_shape) - len(in_shape)
    cs = contiguous_strides(in_shape)
    return [0] * pad + [0 if d == 1 and o != 1 else s for d, s, o in zip(in_shape, cs, out_shape[pad:])]


def collapse(shape, *strides_list):
    """Merge adjacent dimensions that every operand walks contiguously; drop size-1 dims.
    Returns (shape, [strides...])."""
    dims = [i for i, d in enumerate(shape) if d != 1]
    if any(d == 0 for d in shape):
        return [0], [[0] for _ in strides_list]
    out_shape = []
    out_strides = [[] for _ in strides_list]
    for i in dims:
        if out_shape and all(st[-1] == s[i] * shape[i] for st, s in zip(out_strides, strides_list)):
            out_shape[-1] *= shape[i]
            for st, s in zip(out_strides, strides_list):
                st[-1] = s[i]
        else:
            out_shape.append(shape[i])
            for st, s in zip(out_strides, strides_list):
                st.append(s[i])
    return out_shape, out_strides


def size(shape):
    return int(np.prod(shape, dtype=np.int64))


def copy_params(itemsize, shape, src_strides, dst_strides, src_offset=0, dst_offset=0):
    """ip of the copy_strided kernel, with dimensions merged."""
    shape, (ss, ds) = collapse(list(shape), list(src_strides), list(dst_strides))
    return [itemsize, len(shape)] + shape + ss + ds + [src_offset, dst_offset]
