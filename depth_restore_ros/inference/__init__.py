"""Inference: Estimator and the model configs and back-ends behind it (no torch unless asked)."""
from .config import ModelConfig
from .estimator import Estimator, Prediction

__all__ = ["Estimator", "Prediction", "ModelConfig"]
