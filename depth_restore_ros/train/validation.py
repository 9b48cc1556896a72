"""Validation while a run trains: the weights it would ship, scored every `eval_every` steps on
`eval_images` frames of `val_data` (never the test split), so the log shows whether a run is still
improving before its hour is spent.

It draws nothing from the training's random generators and scores a copy of the network, so a run
trains the same weights with it or without it (a test checks). The depth network is scored on every
pixel (a sky head's mask is not applied), the stage-1 numbers a model card and the ablations report.
"""
import copy
from typing import Dict

import torch

from ..data.datasets import open_dataset
from ..inference.config import ModelConfig
from ..inference.estimator import Estimator
from ..inference.torch_backend import TorchBackend
from .evaluate import estimator_predictor, evaluate, spread_indices
from .in_memory import InMemory

REPORTED = ("absrel", "rmse", "d1")


class Validation:
    def __init__(self, data_spec: str, every: int, images: int, model_config: ModelConfig):
        self.data_spec, self.every, self.images = data_spec, every, images
        self.model_config = model_config
        self.frames = None  # rendered at the first validation, the same frames every time after

    def due(self, step: int) -> bool:
        return self.every > 0 and self.images > 0 and step % self.every == 0

    def __call__(self, network: torch.nn.Module) -> Dict[str, float]:
        if self.frames is None:
            dataset = open_dataset(self.data_spec)
            self.frames = InMemory(dataset, progress=False, indices=spread_indices(len(dataset), self.images))
        module = copy.deepcopy(network).to(memory_format=torch.contiguous_format)
        estimator = Estimator(self.model_config, TorchBackend(None, self.model_config, module=module), None)
        with torch.random.fork_rng(devices=[]):
            result = evaluate(estimator_predictor(estimator, mask_beyond=False), self.frames, progress=False)
        return {name: result["metrics"][name] for name in REPORTED}
