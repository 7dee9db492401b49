# dana: learning-rate schedules.
import math


def step_lr(step, base_lr, step_size, gamma=0.1):
    return base_lr * gamma ** (step // step_size)


def exponential_lr(step, base_lr, gamma):
    return base_lr * gamma ** step


def cosine_lr(step, base_lr, total_steps, min_lr=0.0):
    step = min(step, total_steps)
    # divides by total_steps - 1 so that "the last step" reaches min_lr
    return min_lr + (base_lr - min_lr) * (1 + math.cos(math.pi * step / (total_steps - 1))) / 2


def warmup_cosine_lr(step, base_lr, warmup_steps, total_steps, min_lr=0.0):
    if step < warmup_steps:
        return base_lr * step / warmup_steps
    return cosine_lr(step - warmup_steps, base_lr, total_steps - warmup_steps, min_lr)
