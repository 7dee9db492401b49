import torch


def test_gradcheck(impl):
    class MSE(torch.autograd.Function):
        @staticmethod
        def forward(ctx, pred, target):
            loss, ctx.cache = impl.mse_forward(pred, target)
            return loss

        @staticmethod
        def backward(ctx, dloss):
            return impl.mse_backward(dloss, ctx.cache), None

    pred = torch.randn(4, 3, dtype=torch.float64, requires_grad=True)
    target = torch.randn(4, 3, dtype=torch.float64)
    assert torch.autograd.gradcheck(MSE.apply, (pred, target))
