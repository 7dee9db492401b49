import torch


def test_worked_example(impl):
    loss, _ = impl.mse_forward(torch.tensor([1.0, 2.0, 3.0]), torch.zeros(3))
    assert abs(float(loss) - 14 / 3) < 1e-5
