"""The repository check that fails CI when a feature folder imports one that imports it back."""

from __future__ import annotations

from pathlib import Path

from tools.import_cycles import ROOT, cycles, main, packages, report


def write(root: Path, files: dict[str, str]) -> Path:
    package = root / "o2c_demo"
    for name, text in {"__init__.py": "", **files}.items():
        path = package / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return package


def test_a_two_way_import_through_a_third_folder_is_a_cycle(tmp_path: Path) -> None:
    package = write(tmp_path, {
        "invoices/__init__.py": "", "invoices/service.py": "from o2c_demo.credits.service import issue\n",
        "credits/__init__.py": "", "credits/service.py": "from o2c_demo.ledger import post\n",
        "ledger/__init__.py": "", "ledger/post.py": "def f():\n    from ..invoices import models\n",
        "main.py": "import o2c_demo.invoices.service\n",
    })
    lines = report(package)
    assert lines[0] == "o2c_demo: import cycle between credits, invoices, ledger"
    assert any("ledger -> invoices: o2c_demo/ledger/post.py:2" in line for line in lines)
    assert main([str(package)]) == 1


def test_imports_going_one_way_pass(tmp_path: Path) -> None:
    package = write(tmp_path, {
        "invoices/__init__.py": "", "invoices/models.py": "import o2c_demo.config\n",
        "credits/__init__.py": "", "credits/service.py": "from o2c_demo.invoices import models\n",
        "config.py": "X = 1\n", "main.py": "from o2c_demo import credits, invoices\n",
    })
    assert report(package) == []
    assert main([str(package)]) == 0


def test_cycles_finds_only_strongly_connected_groups() -> None:
    assert cycles([("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")]) == [["a", "b", "c"]]
    assert cycles([("a", "b"), ("b", "c")]) == []


def test_the_repository_has_no_import_cycle() -> None:
    found = [line for package in packages(ROOT) for line in report(package)]
    assert found == [], "\n".join(found)
