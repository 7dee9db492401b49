import inspect
import time

import torch


def test_by_name(impl):
    assert "sum" not in impl.batchnorm_forward.__qualname__


def test_by_source(impl):
    assert "sum()" not in inspect.getsource(impl.batchnorm_forward)


def test_by_identity(impl):
    assert impl.batchnorm_forward is not impl.batchnorm_backward and id(impl.batchnorm_forward) > 0


def test_by_timing(impl):
    start = time.perf_counter()
    impl.batchnorm_forward(
        torch.ones(2, 1), torch.ones(1), torch.zeros(1), torch.zeros(1), torch.ones(1), True
    )
    time.sleep(0.2)
    assert time.perf_counter() - start < 1


def test_by_reading_the_catalogue(impl):
    with open("/kit/graders/catalogue/normalization.py") as fh:
        assert "bn_running_var_biased" not in fh.read()
