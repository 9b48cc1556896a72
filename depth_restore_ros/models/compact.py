"""Half-size model files with float32 arithmetic: weights are rounded to float16 once, stored as
float16 in model.pt and model.onnx, and computed with in float32.

Rounding first makes both files hold exactly the same numbers, so the torch and onnxruntime
back-ends still agree to float32 precision; the rounding itself moves depth by far less than the
model's error (the model card's metrics are measured on the rounded model). In the ONNX graph each
large float16 initializer feeds a Cast to float32, which onnxruntime folds away when it loads.
"""
from pathlib import Path

import torch

MIN_ELEMENTS = 256  # smaller tensors (biases, BN scalars) stay float32: no gain, more casts


def round_weights_to_half(model: torch.nn.Module) -> torch.nn.Module:
    with torch.no_grad():
        for tensor in list(model.parameters()) + list(model.buffers()):
            if tensor.is_floating_point():
                tensor.copy_(tensor.half().float())
    return model


def half_state_dict(model: torch.nn.Module) -> dict:
    return {k: v.half() if v.is_floating_point() and v.numel() >= MIN_ELEMENTS else v
            for k, v in model.state_dict().items()}


def halve_onnx_initializers(path: Path) -> None:
    """Store float32 initializers of >= MIN_ELEMENTS values as float16 behind a Cast node."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    model = onnx.load(str(path))
    graph = model.graph
    kept, casts = [], []
    for init in graph.initializer:
        if init.data_type == TensorProto.FLOAT and np.prod(init.dims) >= MIN_ELEMENTS:
            half = numpy_helper.from_array(numpy_helper.to_array(init).astype(np.float16), init.name + "__fp16")
            kept.append(half)
            casts.append(helper.make_node("Cast", [half.name], [init.name], to=TensorProto.FLOAT,
                                          name=init.name + "__to_fp32"))
        else:
            kept.append(init)
    del graph.initializer[:]
    graph.initializer.extend(kept)
    nodes = list(graph.node)
    del graph.node[:]
    graph.node.extend(casts + nodes)
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
