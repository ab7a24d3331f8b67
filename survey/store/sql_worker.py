"""The SQL worker: a separate process that runs analysts' queries on the snapshot.

Started by survey.store.sandbox with a scrubbed environment and a private folder. A crash, a
memory blow-up or a query past the time limit ends this process, never the app: the parent
kills it at the deadline (even a scalar that ignores DuckDB's interrupt) and starts another.
Limits, innermost first: DuckDB's memory_limit and max_temp_directory_size (spilling into the
private folder), results cut at a number of rows and of bytes, and an address-space rlimit as
the backstop for what DuckDB does not count.

Protocol (stdin/stdout, binary): each message is a 4-byte length + JSON header, then an
8-byte length + payload (Arrow IPC stream of a result, or a download file).
"""

from __future__ import annotations

import io
import json
import os
import re
import resource
import struct
import sys
import time


def send(out, header: dict, payload: bytes = b"") -> None:
    raw = json.dumps(header).encode()
    out.write(struct.pack(">I", len(raw)) + raw + struct.pack(">Q", len(payload)))
    out.write(payload)
    out.flush()


def receive(stream) -> tuple[dict, bytes] | None:
    head = stream.read(4)
    if len(head) < 4:
        return None
    header = json.loads(stream.read(struct.unpack(">I", head)[0]))
    size = struct.unpack(">Q", stream.read(8))[0]
    return header, stream.read(size)


class Worker:
    def __init__(self, settings: dict):
        import duckdb

        from survey.store.sql_vet import Vetter
        self.duckdb, self.settings = duckdb, settings
        self.private = settings["private_dir"]
        self.config = {
            "enable_external_access": False, "lock_configuration": True,
            "autoinstall_known_extensions": False, "autoload_known_extensions": False,
            "allow_community_extensions": False, "allow_unsigned_extensions": False,
            "memory_limit": settings["memory_limit"], "threads": settings["threads"],
            "temp_directory": os.path.join(self.private, "spill"),
            "max_temp_directory_size": settings["temp_limit"],
        }
        vet_con = duckdb.connect(":memory:", config={**self.config, "threads": 1})
        self.vetter = Vetter(vet_con)
        self.vetter.vet("SELECT 1")  # load what parsing needs now, not in the first query's time

    def handle(self, header: dict) -> tuple[dict, bytes]:
        from survey.store.sql_vet import Refused
        started = time.perf_counter()
        try:
            sql = self.vetter.vet(header["sql"])
        except Refused as exc:
            return {"ok": False, "kind": "refused", "message": self.scrub(str(exc)),
                    "zh": self.scrub(exc.zh)}, b""
        except SyntaxError as exc:
            return {"ok": False, "kind": "failed", "message": self.scrub(str(exc))}, b""
        try:
            con = self.duckdb.connect(header["snapshot"], read_only=True, config=self.config)
        except self.duckdb.Error as exc:
            return {"ok": False, "kind": "failed", "message": "cannot open the snapshot: " +
                    self.scrub(str(exc).splitlines()[0])}, b""
        try:
            table, cut = self.fetch(con, sql, header["rows"], header["bytes"])
            payload = self.render(table, header.get("format"))
        except self.duckdb.OutOfMemoryException:
            return {"ok": False, "kind": "memory", "message": ""}, b""
        except MemoryError:
            return {"ok": False, "kind": "memory", "message": ""}, b""
        except self.duckdb.PermissionException:
            return {"ok": False, "kind": "refused",
                    "message": "reading the server's files or the network is not allowed",
                    "zh": "不允许读取服务器文件或访问网络"}, b""
        except self.duckdb.Error as exc:
            lines = str(exc).strip().splitlines()
            return {"ok": False, "kind": "failed",
                    "message": self.scrub("\n".join(lines[:3]))}, b""
        except Exception as exc:  # a conversion the download format cannot hold
            return {"ok": False, "kind": "failed",
                    "message": self.scrub(f"{type(exc).__name__}: {exc}"[:300])}, b""
        finally:
            con.close()
        return {"ok": True, "rows": table.num_rows, "cut": cut,
                "seconds": time.perf_counter() - started}, payload

    def fetch(self, con, sql: str, max_rows: int, max_bytes: int):
        """At most max_rows rows and about max_bytes bytes; stops DuckDB as soon as either is
        reached (the streaming result is not computed further)."""
        import pyarrow as pa
        reader = con.execute(sql).fetch_record_batch(2048)
        batches, rows, size, cut = [], 0, 0, None
        for batch in reader:
            if rows + batch.num_rows > max_rows:
                batch, cut = batch.slice(0, max_rows - rows), "rows"
            if size + batch.nbytes > max_bytes:
                batch, cut = _fit(batch, max_bytes - size), "bytes"
            batches.append(batch)
            rows, size = rows + batch.num_rows, size + batch.nbytes
            if cut:
                break
        return pa.Table.from_batches(batches, schema=reader.schema), cut

    def render(self, table, fmt: str | None) -> bytes:
        import pyarrow as pa
        if fmt is None or fmt == "arrow":
            sink = io.BytesIO()
            with pa.ipc.new_stream(sink, table.schema) as writer:
                writer.write_table(table)
            return sink.getvalue()
        from survey import safe_files
        if fmt == "parquet":
            return safe_files.parquet_bytes(table)
        frame = safe_files.spreadsheet_frame(table)
        if fmt == "csv":
            return safe_files.csv_bytes(frame)
        return safe_files.xlsx_bytes({"query": frame})

    def scrub(self, message: str) -> str:
        """Error texts never carry server paths (the snapshot, the private folder, ...)."""
        for secret in sorted({self.settings.get("snapshot_path", ""), self.private,
                              os.path.dirname(self.settings.get("snapshot_path", "")),
                              self.settings.get("project_root", "")}, key=len, reverse=True):
            if secret and len(secret) > 1:
                message = message.replace(secret, "…")
        return re.sub(r"(?<![\w.])/(?:[^\s'\"/“”]+/)+[^\s'\"“”]*", "…", message)


def _fit(batch, budget: int):
    """The longest head of the batch within budget bytes (binary search on slices)."""
    low, high = 0, batch.num_rows
    while low < high:
        mid = (low + high + 1) // 2
        if batch.slice(0, mid).nbytes <= budget:
            low = mid
        else:
            high = mid - 1
    return batch.slice(0, low)


def _remove_private(folder: str) -> None:
    import shutil
    shutil.rmtree(folder, ignore_errors=True)


def _exit_with_parent(private: str) -> None:
    """A query must not outlive the app that asked for it (the parent's time limit dies with
    the parent): leave as soon as the parent is gone."""
    import threading
    parent = os.getppid()

    def watch():
        while os.getppid() == parent:
            time.sleep(1)
        _remove_private(private)
        os._exit(3)
    threading.Thread(target=watch, daemon=True).start()


def main() -> int:
    settings = json.loads(sys.argv[1])
    started = time.perf_counter()
    _exit_with_parent(settings["private_dir"])
    limit = int(settings["address_space"])
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    os.nice(10)  # cadres submitting forms come before an analyst's heavy query on shared cores
    requests = os.fdopen(os.dup(0), "rb")
    replies = os.fdopen(os.dup(1), "wb")
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1):  # nothing printed by a library can corrupt the protocol
        os.dup2(devnull, fd)
    os.makedirs(os.path.join(settings["private_dir"], "spill"), exist_ok=True)
    worker = Worker(settings)
    send(replies, {"ready": True, "seconds": time.perf_counter() - started})
    while True:
        message = receive(requests)
        if message is None:  # the app closed the pipe
            _remove_private(settings["private_dir"])
            return 0
        header, _ = message
        reply, payload = worker.handle(header)
        send(replies, reply, payload)


if __name__ == "__main__":
    sys.exit(main())
