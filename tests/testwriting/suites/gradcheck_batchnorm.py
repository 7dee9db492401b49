import torch


def test_gradcheck(impl):
    running = (torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64))

    class BatchNorm(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x, gamma, beta):
            y, _, _, ctx.cache = impl.batchnorm_forward(x, gamma, beta, *running, True)
            return y

        @staticmethod
        def backward(ctx, dy):
            return impl.batchnorm_backward(dy, ctx.cache)

    inputs = [
        torch.randn(5, 3, dtype=torch.float64, requires_grad=True),
        torch.randn(3, dtype=torch.float64, requires_grad=True),
        torch.randn(3, dtype=torch.float64, requires_grad=True),
    ]
    assert torch.autograd.gradcheck(BatchNorm.apply, inputs)
