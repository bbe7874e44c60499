"""docs/security.md's roles block is what tools/permissions_doc.py generates from the permissions.py modules."""

from __future__ import annotations

from o2c_common.auth import Role
from tools.permissions_doc import DOC, main, render, replaced, tables


def test_the_roles_block_of_docs_security_is_current() -> None:
    assert main(["--check"]) == 0, "docs/security.md is stale: run .venv/bin/python tools/permissions_doc.py"


def test_the_block_names_every_role_and_every_declared_route() -> None:
    block = render()
    for role in Role:
        assert f"| `{role.value}` |" in block
    for service, routes in tables().items():
        assert f"#### {service}" in block
        for key in routes:
            assert f"`{key}`" in block, key


def test_a_changed_declaration_makes_the_check_fail() -> None:
    stale = replaced(DOC.read_text(), render().replace("`read-ar`", "`read-everything`"))
    assert stale != DOC.read_text()
    assert replaced(stale, render()) == DOC.read_text()
