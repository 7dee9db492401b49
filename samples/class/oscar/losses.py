# oscar: uses a helper module that was never handed in.
import torch
from .helpers import mean_of

def mse_forward(pred, target):
    return mean_of((pred - target) ** 2)
