import socket

import pytest

from o2c_cli.localstack import PortInUse, ensure_port_free, free_port


def test_a_port_someone_listens_on_is_refused() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        with pytest.raises(PortInUse, match=str(port)):
            ensure_port_free(port, what="test")
    ensure_port_free(free_port(), what="test")


def test_free_ports_come_from_the_workers_own_slice_and_skip_bound_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    from o2c_cli import localstack

    taken = {}
    for worker in ("gw0", "gw1"):
        monkeypatch.setenv("PYTEST_XDIST_WORKER", worker)
        monkeypatch.setattr(localstack, "_next_port", [])
        taken[worker] = [free_port() for _ in range(5)]
    assert not set(taken["gw0"]) & set(taken["gw1"])
    assert all(len(set(ports)) == 5 and all(20000 <= p < 32000 for p in ports) for ports in taken.values())
    with socket.socket() as holder:
        held = _bind_a_port_of_the_slice(holder)  # this worker's real stacks may hold ports of the slice already
        localstack._next_port[0] = held
        assert free_port() != held


def _bind_a_port_of_the_slice(holder: socket.socket) -> int:
    while True:
        port = free_port()
        try:
            holder.bind(("127.0.0.1", port))
        except OSError:
            continue
        return port
