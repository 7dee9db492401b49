# oscar: handed in the night before the deadline.
import torch


def sigmoid_forward(x):
    return 1 / (1 + torch.exp(-x)


def relu_forward(x):
    return x.clamp(min=0)
