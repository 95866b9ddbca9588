try:  # the shared moto fixture, see tests/conftest_moto.py
    from conftest_moto import moto_server
except ImportError:
    from tests.conftest_moto import moto_server  # noqa: F401
