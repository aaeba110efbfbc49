"""How `evalkit run` starts its kernel."""


def test_kernel_start_timeout_is_generous_and_configurable(monkeypatch):
    # papermill's 60 s failed a batch on a loaded 2-core CI machine
    from evalkit.run.execute import _start_timeout
    monkeypatch.delenv("EVALKIT_KERNEL_START_TIMEOUT", raising=False)
    assert _start_timeout() == 300
    monkeypatch.setenv("EVALKIT_KERNEL_START_TIMEOUT", "900")
    assert _start_timeout() == 900
    monkeypatch.setenv("EVALKIT_KERNEL_START_TIMEOUT", "soon")
    assert _start_timeout() == 300
