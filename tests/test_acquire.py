"""The data step: mirror copy and download (against a local server on 127.0.0.1 only)."""

from __future__ import annotations

import hashlib
import http.server
import json
import threading
from functools import partial
from pathlib import Path

import pytest

from sendlib import acquire as acq
from sendlib.errors import ChecksumError, DataUnavailableError
from sendlib.sources import RawFile

CONTENT = b"la_code,value\n202,1\n"


def make_raw_file(content: bytes = CONTENT, name: str = "f one.csv") -> RawFile:
    return RawFile(
        dataset="demo", file=name, bytes=len(content), sha256=hashlib.sha256(content).hexdigest(),
        repo="owner/repo", commit="c0ffee", path_in_repo=f"data/{name}",
        official_source="https://example.org/page", licence="OGL",
    )


@pytest.fixture()
def mirror(tmp_path: Path) -> Path:
    root = tmp_path / "mirror"
    (root / "demo").mkdir(parents=True)
    (root / "demo" / "f one.csv").write_bytes(CONTENT)
    return root


@pytest.fixture()
def http_root(tmp_path: Path):
    """A local HTTP server on 127.0.0.1 serving tmp_path/www; yields (base_url, root)."""
    root = tmp_path / "www"
    root.mkdir()
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a, **k: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", root
    server.shutdown()
    server.server_close()


def test_copy_from_mirror_verifies_and_records_provenance(tmp_path: Path, mirror: Path):
    raw = tmp_path / "raw"
    prov = acq.acquire([make_raw_file()], raw=raw, mirror=mirror)
    assert (raw / "demo" / "f one.csv").read_bytes() == CONTENT
    record = prov["demo/f one.csv"]
    assert record["sha256"] == hashlib.sha256(CONTENT).hexdigest()
    assert record["bytes"] == len(CONTENT) and record["source"].endswith("f one.csv")
    assert json.loads((raw / "provenance.json").read_text()) == prov


def test_mirror_hash_mismatch_names_file_and_both_hashes(tmp_path: Path, mirror: Path):
    (mirror / "demo" / "f one.csv").write_bytes(CONTENT + b"tampered")
    raw = tmp_path / "raw"
    expected = make_raw_file()
    with pytest.raises(ChecksumError) as err:
        acq.acquire([expected], raw=raw, mirror=mirror)
    message = str(err.value)
    assert "demo/f one.csv" in message and expected.sha256 in message
    assert hashlib.sha256(CONTENT + b"tampered").hexdigest() in message
    assert not (raw / "demo" / "f one.csv").exists()
    assert list((raw / "demo").iterdir()) == []  # no temporary file left behind


def test_missing_mirror_file_says_how_to_provide_data(tmp_path: Path, mirror: Path):
    with pytest.raises(DataUnavailableError, match="SENDLIB_DATA_MIRROR"):
        acq.acquire([make_raw_file(name="absent.csv")], raw=tmp_path / "raw", mirror=mirror)


def test_verified_file_is_never_overwritten(tmp_path: Path, mirror: Path):
    raw = tmp_path / "raw"
    acq.acquire([make_raw_file()], raw=raw, mirror=mirror)
    dest = raw / "demo" / "f one.csv"
    before = dest.stat().st_mtime_ns
    first = json.loads((raw / "provenance.json").read_text())
    acq.acquire([make_raw_file()], raw=raw, mirror=mirror)
    assert dest.stat().st_mtime_ns == before
    assert json.loads((raw / "provenance.json").read_text()) == first


def test_corrupted_local_file_is_an_error_not_replaced(tmp_path: Path, mirror: Path):
    raw = tmp_path / "raw"
    (raw / "demo").mkdir(parents=True)
    (raw / "demo" / "f one.csv").write_bytes(b"truncated")
    with pytest.raises(ChecksumError, match="delete it"):
        acq.acquire([make_raw_file()], raw=raw, mirror=mirror)
    assert (raw / "demo" / "f one.csv").read_bytes() == b"truncated"


def test_download_from_local_server(tmp_path: Path, http_root):
    base, root = http_root
    target = root / "owner" / "repo" / "c0ffee" / "data" / "f one.csv"
    target.parent.mkdir(parents=True)
    target.write_bytes(CONTENT)
    raw = tmp_path / "raw"
    prov = acq.acquire([make_raw_file()], raw=raw, mirror=None, base_url=base)
    assert (raw / "demo" / "f one.csv").read_bytes() == CONTENT
    assert prov["demo/f one.csv"]["source"] == f"{base}/owner/repo/c0ffee/data/f%20one.csv"


def test_download_with_wrong_bytes_is_a_checksum_error(tmp_path: Path, http_root):
    base, root = http_root
    target = root / "owner" / "repo" / "c0ffee" / "data" / "f one.csv"
    target.parent.mkdir(parents=True)
    target.write_bytes(b"other bytes")
    with pytest.raises(ChecksumError, match="demo/f one.csv"):
        acq.acquire([make_raw_file()], raw=tmp_path / "raw", mirror=None, base_url=base)
    assert not (tmp_path / "raw" / "demo" / "f one.csv").exists()


def test_no_mirror_and_no_network_says_how_to_provide_data(tmp_path: Path, http_root, monkeypatch):
    base, _ = http_root  # server is up but does not have the file: 404, like an unreachable host
    monkeypatch.setattr(acq, "DOWNLOAD_RETRIES", 0)
    with pytest.raises(DataUnavailableError) as err:
        acq.acquire([make_raw_file()], raw=tmp_path / "raw", mirror=None, base_url=base)
    assert "SENDLIB_DATA_MIRROR" in str(err.value) and "demo/f one.csv" in str(err.value)


def test_refused_connection_is_data_unavailable(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(acq, "DOWNLOAD_RETRIES", 0)
    with pytest.raises(DataUnavailableError, match="could not download"):
        acq.acquire([make_raw_file()], raw=tmp_path / "raw", mirror=None, base_url="http://127.0.0.1:9")


@pytest.mark.needs_data
def test_real_registry_acquires_and_verifies(raw_data: Path):
    prov = json.loads((raw_data / "provenance.json").read_text())
    from sendlib.sources import load_registry

    assert set(prov) == {f.relpath for f in load_registry()}


@pytest.mark.parametrize("kind", ["absent", "a file"])
def test_a_missing_mirror_folder_is_named_as_missing(tmp_path: Path, kind: str):
    mirror = tmp_path / "no-such-mirror"
    if kind == "a file":
        mirror.write_text("not a folder")
    with pytest.raises(DataUnavailableError) as err:
        acq.acquire([make_raw_file()], raw=tmp_path / "raw", mirror=mirror)
    message = str(err.value)
    assert str(mirror) in message and "SENDLIB_DATA_MIRROR" in message
    assert ("does not exist" if kind == "absent" else "is not a folder") in message
    assert "set SENDLIB_DATA_MIRROR to" not in message  # no advice to set the variable that is set


def test_a_missing_mirror_folder_does_not_matter_when_every_file_is_present(tmp_path: Path, mirror: Path):
    raw = tmp_path / "raw"
    acq.acquire([make_raw_file()], raw=raw, mirror=mirror)
    assert acq.acquire([make_raw_file()], raw=raw, mirror=tmp_path / "gone")["demo/f one.csv"]["bytes"] == len(CONTENT)


def test_verify_raw_files_names_each_changed_file_and_both_hashes(tmp_path: Path, mirror: Path):
    raw = tmp_path / "raw"
    files = [make_raw_file()]
    acq.acquire(files, raw=raw, mirror=mirror)
    assert acq.verify_raw_files(raw, files) == {"demo/f one.csv": files[0].sha256}
    (raw / "demo" / "f one.csv").write_bytes(CONTENT + b"2,edited\n")
    with pytest.raises(ChecksumError) as err:
        acq.verify_raw_files(raw, files)
    message = str(err.value)
    assert str(raw / "demo" / "f one.csv") in message and files[0].sha256 in message
    assert hashlib.sha256(CONTENT + b"2,edited\n").hexdigest() in message and "sendlib data" in message
    (raw / "demo" / "f one.csv").unlink()
    with pytest.raises(DataUnavailableError, match="demo/f one.csv"):
        acq.verify_raw_files(raw, files)
