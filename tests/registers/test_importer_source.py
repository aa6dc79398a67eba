"""Reading a zip member with ISA-L (``InflatedMember``): the same bytes as ``zipfile``, in bounded pieces, and
the damage ``zipfile`` finds (a wrong CRC-32 or size, a member cut short) found too."""

from __future__ import annotations

import io
import os
import struct
import zipfile
from pathlib import Path

import pytest

from kmop.registers.importer_source import INFLATED_CHUNK, ZIP_ERRORS, ExtractSource, InflatedMember

CONTENTS = {
    "empty.csv": b"",
    "small.csv": b'"EntityNumber","Language"\n"0200.065.765","2"\n',
    # a thousandfold: each read still inflates at most INFLATED_CHUNK bytes
    "repetitive.csv": b"0" * (3 * INFLATED_CHUNK + 17),
    "random.csv": os.urandom(3 << 20),
}


def write_zip(path: Path, compression: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression=compression) as archive:
        for name, data in CONTENTS.items():
            archive.writestr(name, data)
    return path


def read_all(path: Path, name: str) -> bytes:
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(name)
    with io.BufferedReader(InflatedMember(path, info)) as member:
        return member.read()


@pytest.mark.parametrize("name", list(CONTENTS))
def test_the_same_bytes_as_zipfile(tmp_path: Path, name: str) -> None:
    path = write_zip(tmp_path / "extract.zip")
    with zipfile.ZipFile(path) as archive:
        expected = archive.read(name)
    assert expected == CONTENTS[name]
    assert read_all(path, name) == expected


def test_each_read_inflates_a_bounded_piece(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "extract.zip")
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("repetitive.csv")
    member = InflatedMember(path, info)
    sizes = []
    while piece := member.read(10 * INFLATED_CHUNK):
        sizes.append(len(piece))
    member.close()
    assert max(sizes) <= INFLATED_CHUNK
    assert sum(sizes) == info.file_size


def _rewrite_crc(path: Path, name: str, crc: int) -> None:
    """The member's CRC-32 changed in its local header and in the central directory; its data intact."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(name)
    struct.pack_into("<I", data, info.header_offset + 14, crc)
    central = data.index(b"PK\x01\x02")
    while data[central + 46 : central + 46 + len(name)] != name.encode():
        central = data.index(b"PK\x01\x02", central + 4)
    struct.pack_into("<I", data, central + 16, crc)
    path.write_bytes(bytes(data))


def test_a_wrong_crc_is_found_at_the_end(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "extract.zip")
    with zipfile.ZipFile(path) as archive:
        crc = archive.getinfo("small.csv").CRC
    _rewrite_crc(path, "small.csv", crc ^ 1)
    with pytest.raises(zipfile.BadZipFile, match="CRC-32"):
        read_all(path, "small.csv")


def test_a_member_cut_short(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "extract.zip")
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("random.csv")
    data = path.read_bytes()
    path.write_bytes(data[: info.header_offset + 30 + len(info.filename) + info.compress_size // 2])
    with pytest.raises(ZIP_ERRORS), io.BufferedReader(InflatedMember(path, info)) as member:
        member.read()


def test_not_a_local_header(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "extract.zip")
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("small.csv")
    info.header_offset += 1
    with pytest.raises(zipfile.BadZipFile, match="magic"):
        InflatedMember(path, info)


@pytest.mark.parametrize(
    ("compression", "reader"),
    [(zipfile.ZIP_DEFLATED, io.BufferedReader), (zipfile.ZIP_STORED, zipfile.ZipExtFile)],
    ids=["deflated", "stored"],
)
def test_the_extract_reads_deflated_members_with_isal(tmp_path: Path, compression: int, reader: type) -> None:
    path = write_zip(tmp_path / "extract.zip", compression)
    with ExtractSource(path) as source, source.open_binary("small.csv") as binary:
        assert isinstance(binary, reader)
        assert binary.readline(100) == b'"EntityNumber","Language"\n'
        assert binary.read() == b'"0200.065.765","2"\n'
