import torch


def test_worked_example(impl):
    x = torch.tensor([[1.0], [3.0]])
    y, _, _, _ = impl.batchnorm_forward(
        x, torch.ones(1), torch.zeros(1), torch.zeros(1), torch.ones(1), True
    )
    assert torch.allclose(y, torch.tensor([[-1.0], [1.0]]), atol=1e-4)
