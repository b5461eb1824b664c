"""docs/roles.md is the table of roles; the code must say the same."""

from pathlib import Path

from yanglao.accounts.roles import CAPABILITIES, Cap, Role

DOC = Path(__file__).resolve().parents[2] / "docs" / "roles.md"


def doc_table():
    lines = [line for line in DOC.read_text().splitlines() if line.startswith("| ")]
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    caps = header[3:]
    rows = {}
    for line in lines[2:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        if cells[0] in Role.values:
            rows[cells[0]] = {cap for cap, mark in zip(caps, cells[3:], strict=True) if mark == "✓"}
    return caps, rows


def test_doc_lists_every_capability_and_role():
    caps, rows = doc_table()
    assert set(caps) == set(Cap.values)
    assert set(rows) == set(Role.values)


def test_doc_and_code_grant_the_same_capabilities():
    _, rows = doc_table()
    assert rows == {role: set(caps) for role, caps in CAPABILITIES.items()}
