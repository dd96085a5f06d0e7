"""Neural-network building blocks: Module, Parameter, containers, layers, init, functional."""

# ruff: noqa: F401 - this file only re-exports

# ---- layers, losses and the functional API (the layers engineer's block) ----
from . import functional, init, parallel, utils
from .containers import Flatten, Identity, ModuleDict, ModuleList, Sequential, Unflatten
from .layers import (
    GELU,
    GRU,
    LSTM,
    RNN,
    AdaptiveAvgPool2d,
    AvgPool1d,
    AvgPool2d,
    BatchNorm1d,
    BatchNorm2d,
    BCELoss,
    BCEWithLogitsLoss,
    Conv1d,
    Conv2d,
    ConvTranspose2d,
    CrossEntropyLoss,
    Dropout,
    Dropout2d,
    Embedding,
    GroupNorm,
    HuberLoss,
    KLDivLoss,
    L1Loss,
    LayerNorm,
    LeakyReLU,
    Linear,
    LogSoftmax,
    MaxPool1d,
    MaxPool2d,
    MSELoss,
    NLLLoss,
    ReLU,
    Sigmoid,
    SiLU,
    SmoothL1Loss,
    Softmax,
    Softplus,
    Tanh,
)
from .module import IncompatibleKeys, LoadStateDictError, Module
from .parameter import Parameter
