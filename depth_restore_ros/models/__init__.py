"""Torch networks. Importing this package imports torch: the CPU runtime path never does."""
from .mono_unet import MonoUNet
from .restore_net import RestoreNet
from .restore_residual import ResidualRestoreNet

ARCHITECTURES = {"mono_unet": MonoUNet, "restore_net": RestoreNet, "restore_residual": ResidualRestoreNet}


def build_model(arch: str, **arch_args):
    if arch not in ARCHITECTURES:
        raise ValueError(f"unknown architecture {arch!r}; known: {sorted(ARCHITECTURES)}")
    return ARCHITECTURES[arch](**arch_args)
