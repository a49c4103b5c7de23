from pathlib import Path

import pytest

from sendlib.errors import SourceFormatError
from sendlib.sources import load_registry, registry_by_relpath


def test_registry_lists_every_dataset_with_hash_and_licence():
    files = load_registry()
    datasets = {f.dataset for f in files}
    assert {"s251_outturn", "dsg_allocations", "ehcp_sen2", "population", "la_lookup", "stat_neighbours"} <= datasets
    assert all(len(f.sha256) == 64 and f.licence and f.official_source.startswith("http") for f in files)
    assert len(registry_by_relpath()) == len(files)


def test_download_url_is_commit_pinned_and_quoted():
    f = registry_by_relpath()["hn_benchmarking/Outturn data 202122.xlsx"]
    url = f.download_url("http://127.0.0.1:9")
    assert url.startswith("http://127.0.0.1:9/dfe-analytical-services/SEND-AP-Inclusion-Dashboard/")
    assert f.commit in url and url.endswith("Outturn%20data%20202122.xlsx")


def test_bad_hash_in_registry_names_the_row(tmp_path: Path):
    bad = tmp_path / "sources.csv"
    bad.write_text(
        "dataset,file,bytes,sha256,repo,commit,path_in_repo,official_source,licence\n"
        "d,f.csv,1,nothex,o/r,abc,f.csv,https://x,OGL\n"
    )
    with pytest.raises(SourceFormatError, match="row 2"):
        load_registry(bad)
