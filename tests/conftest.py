from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
SCENARIOS = ROOT / "scenarios"
SHARED = ROOT.parent / "shared" / "reference"


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


@pytest.fixture
def shared() -> Path:
    """The peers' reference folder beside the checkout; tests using it skip when it is absent."""
    if not SHARED.is_dir():
        pytest.skip("../shared/reference is not present")
    return SHARED


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"]
ARTIFACTS = ROOT / "build" / "test-artifacts"


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (`make test` installs it when missing)."""
    import shutil

    from playwright.sync_api import sync_playwright

    path = CHROMIUM if shutil.os.path.exists(CHROMIUM) else shutil.which("chromium")
    if path is None:
        pytest.fail("chromium is not installed: run `make test` (it installs Debian's chromium)")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@contextlib.contextmanager
def serving(folders: list[Path], token: str | None = None,
            ledger: Path | None = None) -> Iterator[str]:
    """The dashboard for ``folders`` (and ``ledger``) on a free loopback port, in a thread."""
    import socket
    import threading
    import time

    import uvicorn

    from detente.web.app import create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = create_app(folders, token, ledger=ledger)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def live_server():
    """The dashboard on the repository's scenarios."""
    with serving([SCENARIOS]) as url:
        yield url


@pytest.fixture(autouse=True)
def _evidence_cache(tmp_path_factory, monkeypatch):
    """Every test gets its own evidence cache folder (never the user's ~/.cache/detente)."""
    monkeypatch.setenv("DETENTE_CACHE_DIR", str(tmp_path_factory.mktemp("detente-cache")))
    monkeypatch.delenv("DETENTE_NO_CACHE", raising=False)
