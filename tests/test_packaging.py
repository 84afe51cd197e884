"""What an installation needs at run time: `workbench ui` finds the Streamlit app (ui/ here, `workbench.ui` once
installed) and says in one line when an installation lacks it. The wheel itself is built, installed in a fresh
virtual environment and exercised by .ci/install_check.py (CI)."""

from __future__ import annotations

from pathlib import Path

from workbench.cli import main
from workbench.store import cli as store_cli

ROOT = Path(__file__).resolve().parents[1]


def test_ui_app_is_found_in_a_checkout():
    assert store_cli.ui_app() == ROOT / "ui" / "app.py"


def test_an_installation_without_the_ui_is_one_line_and_exit_2(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(store_cli.importlib.resources, "files", lambda package: tmp_path / "site-packages" / "ui")
    assert main(["ui", "--db", str(tmp_path / "ratings.db")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "app.py is missing" in err[0] and "reinstall" in err[0], err
