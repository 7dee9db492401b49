import inspect
import time

import torch


def test_by_name(impl):
    assert "sum" not in impl.mse_forward.__qualname__


def test_by_source(impl):
    assert "sum()" not in inspect.getsource(impl.mse_forward)


def test_by_identity(impl):
    assert impl.mse_forward is not impl.mse_backward and id(impl.mse_forward) > 0


def test_by_timing(impl):
    start = time.perf_counter()
    impl.mse_forward(torch.ones(3), torch.zeros(3))
    time.sleep(0.2)
    assert time.perf_counter() - start < 1


def test_by_reading_the_catalogue(impl):
    with open("/kit/graders/catalogue/losses.py") as fh:
        assert "mse_sum" not in fh.read()
