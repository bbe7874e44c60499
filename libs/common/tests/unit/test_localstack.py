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
