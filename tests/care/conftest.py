import pytest


@pytest.fixture(autouse=True)
def catalogue(db):
    """The national catalogue and the 通辽 default prices (idempotent, as ``make setup`` runs it)."""
    from yanglao.care.catalogue import install_catalogue

    install_catalogue()
