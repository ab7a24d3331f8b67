"""One backup file: a ZIP (stored: its parts are compressed Parquet or ciphertext already) whose
private parts are encrypted with age (pyrage), so it can sit on another machine, a USB disk or a
shared folder without the passphrase opening anything.

  backup.json              in clear: format, time, engine, schema level, app version (what the
                           admin page lists without the passphrase; nothing private)
  README.txt               in clear: what this is, how to decrypt it with the standard age tool
  identity.age             an X25519 identity made for this one backup, encrypted with the
                           passphrase (age's scrypt recipient)
  code_key.age             the code key (never in clear)
  tables/NAME.parquet.age  one per table, Parquet (zstd) written from Arrow batches as they come
  manifest.json.age        rows and SHA-256 of every part's clear bytes, sequences, schema ...

Why an identity and not the passphrase on every part: pyrage encrypts to a passphrase only in
memory (bytes in, bytes out: twice the backup in RAM, ~1.5 GB at M scale), while
pyrage.encrypt_io streams to an X25519 recipient (64 KiB chunks; 15 MB RSS for 500 MB at
~330 MB/s, measured). age authenticates every chunk and the end of the stream, so a cut or
changed part fails to decrypt; the manifest's checksums bind the parts to each other.
Nothing is written to disk in clear: Parquet bytes go from DuckDB's Arrow batches through the
writer, the hash and the cipher straight into the ZIP.
"""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pyrage
from pyrage import passphrase as age_passphrase
from pyrage import x25519

from survey.errors import DomainError

FORMAT = "survey-backup"
VERSION = 1
CLEAR, README, IDENTITY, CODE_KEY, MANIFEST = ("backup.json", "README.txt", "identity.age",
                                              "code_key.age", "manifest.json.age")
MIN_PASSPHRASE = 12

README_TEXT = """\
基层减负监测 · 备份文件 / Survey platform backup

这是一个加密备份(整个数据库 + 编码密钥)。恢复:python -m survey restore 本文件
This is an encrypted backup (the whole database and the code key).
Restore it with: python -m survey restore THIS_FILE

Without the app, with the standard age tool (https://age-encryption.org):
  unzip THIS_FILE -d backup && cd backup
  age -d -o identity.txt identity.age        # asks for the backup passphrase
  age -d -i identity.txt -o manifest.json manifest.json.age
  age -d -i identity.txt -o answer.parquet tables/answer.parquet.age
  shred -u identity.txt                      # the identity opens every part
Each tables/*.parquet is one table (DuckDB: SELECT * FROM 'answer.parquet').
"""


class BackupError(DomainError):
    """A backup that cannot be written or read; the message says why and what to do."""


def passphrase_problem(phrase: str | None) -> BackupError | None:
    if not phrase:
        return BackupError("No backup passphrase: set `SURVEY_BACKUP_PASSPHRASE` (at least "
                           f"{MIN_PASSPHRASE} characters) and keep it apart from the backups.",
                           f"没有备份口令:请设置 `SURVEY_BACKUP_PASSPHRASE`(至少 {MIN_PASSPHRASE} "
                           "个字符),并与备份分开保管。")
    if len(phrase) < MIN_PASSPHRASE:
        return BackupError(f"The backup passphrase is too short: use at least {MIN_PASSPHRASE} "
                           "characters (a few words are easy to remember).",
                           f"备份口令太短:至少 {MIN_PASSPHRASE} 个字符(几个词连在一起便于记忆)。")
    return None


def damaged(path: Path, detail: str) -> BackupError:
    return BackupError(
        f"{path} is not a complete backup ({detail}): it is cut short, damaged or not a "
        "backup of this app. Nothing was changed. Use another copy of the backup.",
        f"{path} 不是完整的备份文件({detail}):文件不完整、已损坏或不是本系统的备份。"
        "未作任何改动。请换用该备份的另一份副本。")


_SEAL = ("import json, sys\nfrom pyrage import passphrase\n"
         "identity, phrase = json.loads(sys.stdin.buffer.read())\n"
         "sys.stdout.buffer.write(passphrase.encrypt(identity.encode(), phrase))\n")


def _seal(identity: str, passphrase: str) -> bytes:
    """The identity encrypted with the passphrase, in a child process: age's scrypt costs about
    a second of CPU by design, and pyrage holds Python's interpreter lock meanwhile, so in the
    app every page and every submit would wait for it (measured: 18 s under load)."""
    try:
        done = subprocess.run([sys.executable, "-c", _SEAL], capture_output=True, timeout=600,
                              input=json.dumps([identity, passphrase]).encode(), check=True)
    except (OSError, subprocess.SubprocessError) as exc:
        raise BackupError(f"Cannot encrypt the backup's identity: {exc}",
                          f"无法加密备份的身份密钥:{exc}") from exc
    return done.stdout


def _open_sealed(sealed: bytes, passphrase: str, tries: int = 3) -> bytes:
    """age refuses a scrypt cost above what it measures this machine can do in a few seconds,
    measured at each call: on a machine busy enough (seen at load 17 on 2 cores) a backup made
    while it was quiet reads as a wrong passphrase. Measured again after a pause, it opens; a
    wrong passphrase fails each time."""
    for _ in range(tries - 1):
        try:
            return age_passphrase.decrypt(sealed, passphrase)
        except pyrage.DecryptError:
            time.sleep(1)
    return age_passphrase.decrypt(sealed, passphrase)


class _ParquetStream:
    """A file-like reader of a table as Parquet bytes, made batch by batch when read (what
    pyrage.encrypt_io pulls), counting rows and hashing what it hands out."""

    def __init__(self, batches: pa.RecordBatchReader, stop=None):
        self._batches, self._stop = iter(batches), stop
        self._buffer = bytearray()
        self._written = 0
        self.closed = False  # pyarrow asks
        self._writer = pq.ParquetWriter(pa.PythonFile(self, mode="w"), batches.schema,
                                        compression="zstd")
        self.rows, self.bytes, self.sha256 = 0, 0, hashlib.sha256()

    # the sink ParquetWriter writes to
    def write(self, data) -> int:
        self._buffer += data
        self._written += len(data)
        return len(data)

    def tell(self) -> int:
        return self._written

    def flush(self) -> None:
        pass

    # what encrypt_io reads
    def read(self, size: int = -1) -> bytes:
        while self._writer is not None and (size < 0 or len(self._buffer) < size):
            if self._stop is not None and self._stop.is_set():
                raise BackupError("The backup was stopped (the app is stopping).",
                                  "备份已中止(应用正在停止)。")
            batch = next(self._batches, None)
            if batch is None:
                self._writer.close()  # the footer
                self._writer = None
            else:
                self._writer.write_batch(batch)
                self.rows += batch.num_rows
        size = len(self._buffer) if size < 0 else min(size, len(self._buffer))
        out = bytes(self._buffer[:size])
        del self._buffer[:size]
        self.bytes += len(out)
        self.sha256.update(out)
        return out


class Writer:
    """Writes one backup file: parts as they come, the manifest last."""

    def __init__(self, path: Path, passphrase: str, clear: dict):
        self.path = path
        self._identity = x25519.Identity.generate()
        self._recipient = self._identity.to_public()
        self.parts: dict[str, dict] = {}
        self._zip = zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED)
        self._zip.writestr(CLEAR, json.dumps({"format": FORMAT, "version": VERSION, **clear},
                                             ensure_ascii=False, indent=1))
        self._zip.writestr(README, README_TEXT)
        self._zip.writestr(IDENTITY, _seal(str(self._identity), passphrase))

    def _encrypt(self, name: str, reader) -> None:
        entry = zipfile.ZipInfo(name, time.localtime()[:6])
        with self._zip.open(entry, "w", force_zip64=True) as out:
            pyrage.encrypt_io(reader, out, [self._recipient])

    def add_bytes(self, name: str, data: bytes) -> dict:
        self._encrypt(name, io.BytesIO(data))
        record = {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
        self.parts[name] = record
        return record

    def add_table(self, table: str, batches: pa.RecordBatchReader, stop=None) -> dict:
        """stop: an Event that, once set, ends the backup at the next batch."""
        stream = _ParquetStream(batches, stop)
        self._encrypt(table_part(table), stream)
        record = {"rows": stream.rows, "bytes": stream.bytes,
                  "sha256": stream.sha256.hexdigest()}
        self.parts[table_part(table)] = record
        return record

    def finish(self, manifest: dict) -> None:
        data = json.dumps({**manifest, "parts": self.parts}, ensure_ascii=False,
                          indent=1).encode()
        self._encrypt(MANIFEST, io.BytesIO(data))
        self._zip.close()

    def abort(self) -> None:
        try:
            self._zip.close()
        except (OSError, ValueError):
            pass


def table_part(table: str) -> str:
    return f"tables/{table}.parquet.age"


def read_clear(path: Path) -> dict:
    """What the backup says about itself in clear (no passphrase needed)."""
    try:
        with zipfile.ZipFile(path) as archive:
            clear = json.loads(archive.read(CLEAR))
    except FileNotFoundError:
        raise BackupError(f"There is no file {path}.", f"文件 {path} 不存在。") from None
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise damaged(path, type(exc).__name__) from exc
    if clear.get("format") != FORMAT:
        raise damaged(path, "no backup.json of this app")
    if clear.get("version", 0) > VERSION:
        raise BackupError(f"{path} was written by a newer version of the app (backup format "
                          f"{clear.get('version')}): upgrade the app, then restore. Nothing "
                          "was changed.",
                          f"{path} 由更新版本的系统写出(备份格式 {clear.get('version')}):请先升级"
                          "系统再恢复。未作任何改动。")
    return clear


class Reader:
    """Opens a backup: the clear summary, then (with the passphrase) the manifest and parts,
    each checked against the manifest as it is decrypted."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.clear = read_clear(self.path)
        self._zip = zipfile.ZipFile(self.path)
        self._identity = None
        self.manifest: dict = {}

    def close(self) -> None:
        self._zip.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def unlock(self, passphrase: str) -> dict:
        try:
            sealed = self._zip.read(IDENTITY)
        except (KeyError, zipfile.BadZipFile, OSError) as exc:
            raise damaged(self.path, "identity.age unreadable") from exc
        try:
            self._identity = x25519.Identity.from_str(_open_sealed(sealed, passphrase).decode())
        except pyrage.DecryptError:
            raise BackupError(
                "The passphrase does not open this backup. Nothing was changed. Give the "
                "passphrase the backup was made with (SURVEY_BACKUP_PASSPHRASE at that time).",
                "口令无法打开此备份。未作任何改动。请提供制作该备份时使用的口令(当时的 "
                "SURVEY_BACKUP_PASSPHRASE)。") from None
        data = self._decrypt_bytes(MANIFEST)
        try:
            self.manifest = json.loads(data)
        except ValueError as exc:
            raise damaged(self.path, "manifest unreadable") from exc
        return self.manifest

    def _decrypt_into(self, name: str, out) -> None:
        try:
            with self._zip.open(name) as member:
                pyrage.decrypt_io(member, out, [self._identity])
        except KeyError:
            raise damaged(self.path, f"{name} missing") from None
        except (zipfile.BadZipFile, pyrage.DecryptError, OSError, EOFError) as exc:
            raise damaged(self.path, f"{name}: {type(exc).__name__}") from exc

    def _decrypt_bytes(self, name: str) -> bytes:
        out = io.BytesIO()
        self._decrypt_into(name, out)
        return out.getvalue()

    def _check(self, name: str, data_hash: str, size: int) -> None:
        record = self.manifest.get("parts", {}).get(name)
        if record is None or record["sha256"] != data_hash or record["bytes"] != size:
            raise damaged(self.path, f"{name} does not match the manifest's checksum")

    def code_key(self) -> bytes:
        data = self._decrypt_bytes(CODE_KEY)
        self._check(CODE_KEY, hashlib.sha256(data).hexdigest(), len(data))
        return data

    def extract_table(self, table: str, dest: Path) -> None:
        """Decrypt a table's Parquet file to dest and check it against the manifest."""
        name = table_part(table)
        with open(dest, "wb") as out:
            self._decrypt_into(name, out)
        digest, size = hashlib.sha256(), 0
        with open(dest, "rb") as written:
            for block in iter(lambda: written.read(1 << 20), b""):
                digest.update(block)
                size += len(block)
        self._check(name, digest.hexdigest(), size)
