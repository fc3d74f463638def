"""Python drives sync-native's uniffi bindings against a real sync-server on loopback.

Run by tests/uniffi/test.sh, which builds the library, generates the bindings, starts the
server and writes the fixtures, then passes them in the environment:

  SYNC_BINDINGS_PY   folder holding sync_native.py and libsync_native.so
  SYNC_SERVER_URL    the server (http://127.0.0.1:PORT)
  SYNC_SERVER_DATA   its data folder (metadata.sqlite3: the quota test edits it)
  SYNC_SERVER_BIN    the sync-server binary (accounts are added with `user add`)
  SYNC_CLI_BIN       the screenpipe-sync binary (the other side of the linking test)
  SYNC_FIXTURE       a small screenpipe folder (db.sqlite + data/) to copy for device A
  SYNC_EMPTY_FIXTURE an empty screenpipe folder to copy for the other devices
"""

import asyncio
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from datetime import datetime

import pytest

sys.path.insert(0, os.environ["SYNC_BINDINGS_PY"])
import sync_native as sn  # noqa: E402

PASSWORD = "violet harbor engine 1987 plum"
SERVER = os.environ["SYNC_SERVER_URL"]
SERVER_DATA = os.environ["SYNC_SERVER_DATA"]


def run(coro):
    return asyncio.run(coro)


def add_user(tier="pro"):
    email = f"py-{uuid.uuid4().hex[:10]}@example.com"
    out = subprocess.run(
        [os.environ["SYNC_SERVER_BIN"], "user", "add", email, "--tier", tier, "--data-dir", SERVER_DATA],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return email, out.strip().splitlines()[-1].strip()


def device_dir(tmp_path, name, fixture="SYNC_EMPTY_FIXTURE"):
    d = tmp_path / name
    shutil.copytree(os.environ[fixture], d)
    return d


def config(d, token, name, **extra):
    base = dict(
        server_url=SERVER,
        token=token,
        db_path=str(d / "db.sqlite"),
        data_dir=str(d / "data"),
        state_dir=str(d / "sync"),
        device_name=name,
        frequency=sn.SyncFrequency.MANUAL,
        media_settle_secs=0,
        request_retries=1,
        retry_base_ms=200,
        retry_max_ms=1000,
    )
    base.update(extra)
    return sn.ManagerConfig(**base)


class Listener(sn.SyncListener):
    def __init__(self):
        self.lock = threading.Lock()
        self.progress = []
        self.statuses = []
        self.warnings = []

    def on_progress(self, event):
        with self.lock:
            self.progress.append(event)

    def on_status(self, status):
        with self.lock:
            self.statuses.append(status)

    def on_warning(self, message):
        with self.lock:
            self.warnings.append(message)


# Runs in a child process, as screenpipe itself would. The library under test links its own
# SQLite, and two SQLite libraries in one process break each other's POSIX locks on the same
# database: closing this connection dropped the service's locks, the next opener truncated the
# shared -shm file under the service's mapping, and the process died of SIGBUS
# (https://sqlite.org/howtocorrupt.html, section 2.2).
ADD_TRANSCRIPTION = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], timeout=10)
with conn:
    cur = conn.execute(
        "INSERT INTO audio_transcriptions (audio_chunk_id, offset_index, timestamp, transcription, device, is_input_device) "
        "SELECT audio_chunk_id, offset_index, timestamp, ?, device, is_input_device "
        "FROM audio_transcriptions ORDER BY id DESC LIMIT 1",
        (sys.argv[2],),
    )
    assert cur.rowcount == 1, cur.rowcount
conn.close()
"""


def add_transcription(db, words):
    subprocess.run([sys.executable, "-c", ADD_TRANSCRIPTION, str(db), words], check=True)


def wait_until(what, timeout, check):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if check():
            return
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


def test_two_devices_push_search_pull_and_the_background_service(tmp_path):
    _, token = add_user()
    a_dir = device_dir(tmp_path, "a", "SYNC_FIXTURE")
    b_dir = device_dir(tmp_path, "b")

    # Device A: a new account, its recovery phrase once, a push with progress events.
    a = sn.SyncManager(config(a_dir, token, "desktop A"))
    listener = Listener()
    a.set_listener(listener)
    assert not a.is_unlocked()
    with pytest.raises(sn.SyncFfiError.Locked) as locked:
        run(a.push())
    assert locked.value.code == "locked"
    created = run(a.init(PASSWORD))
    assert created.is_new
    assert len(created.recovery_phrase.split()) == 24
    assert a.is_unlocked()
    pushed = run(a.push())
    assert pushed.uploaded_blobs > 0 and pushed.rows > 0 and pushed.media_files > 0
    uploads = [e for e in listener.progress if e.stage == sn.ProgressStage.UPLOADING]
    assert uploads and uploads[-1].done == uploads[-1].total > 0 and uploads[-1].is_bytes
    assert any(e.stage == sn.ProgressStage.PACKAGING for e in listener.progress)
    status = run(a.status())
    assert status.unlocked and not status.running
    assert status.storage_used > 0 and status.storage_limit == 100_000_000_000
    assert status.device_count == 1 and status.pending_uploads == 0 and status.uploaded_blobs == pushed.uploaded_blobs
    assert status.last_sync_ms is not None and status.device_id

    # Device B: the same password unlocks the same account; no recovery phrase.
    b = sn.SyncManager(config(b_dir, token, "phone B"))
    b_listener = Listener()
    b.set_listener(b_listener)
    joined = run(b.init(PASSWORD))
    assert not joined.is_new and joined.recovery_phrase is None

    # Wrong password: a typed exception carrying the core's code.
    c = sn.SyncManager(config(device_dir(tmp_path, "c"), token, "tablet C"))
    with pytest.raises(sn.SyncFfiError.WrongPassword) as wrong:
        run(c.init("not the password at all 42"))
    assert wrong.value.code == "wrong_password"
    with pytest.raises(sn.SyncFfiError) as wrong_again:
        run(b.unlock("still not the password 17"))
    assert isinstance(wrong_again.value, sn.SyncFfiError.WrongPassword)
    assert b.is_unlocked(), "a failed unlock keeps the keys it had"

    # Search on B: only the cloud has it; then pull and find it locally.
    hits = run(b.search("budget review", None, None, 10))
    assert hits and all(h.source == "cloud" for h in hits)
    assert all("budget" in h.text.lower() and "review" in h.text.lower() for h in hits)
    assert json.loads(hits[0].json)["device_id"] == status.device_id
    pulled = run(b.pull(None, None))
    assert pulled.imported_blobs > 0 and pulled.rows_inserted > 0 and not pulled.failures
    assert any(e.stage == sn.ProgressStage.IMPORTING for e in b_listener.progress)
    local = run(b.search("budget review", None, None, 10))
    assert local and all(h.source == "local" for h in local)
    assert len(local) == len(hits)

    devices = run(a.list_devices())
    assert {d.device_name for d in devices} == {"desktop A", "phone B", "tablet C"}
    assert [d.device_name for d in devices if d.is_this_device] == ["desktop A"]

    # The background service: rows written to A's database while it runs reach the cloud.
    listener.statuses.clear()
    run(a.set_config(config(a_dir, token, "desktop A", frequency=sn.SyncFrequency.FIVE_MINUTES, interval_override_secs=1)))
    assert a.config().interval_override_secs == 1
    run(a.start())
    words = "zanzibar quokka marmalade"
    add_transcription(a_dir / "db.sqlite", words)
    wait_until("the service to push the new row", 60, lambda: len(run(b.search(words, None, None, 5))) == 1)
    status = run(a.status())
    assert status.running and status.completed_cycles >= 1
    assert isinstance(status.state, (sn.SyncState.IDLE, sn.SyncState.SYNCING))
    assert any(isinstance(s.state, sn.SyncState.SYNCING) for s in listener.statuses)
    run(a.trigger_now())
    run(a.stop())
    assert not run(a.status()).running

    # Locking drops the keys; unlocking brings them back.
    run(b.lock())
    assert not b.is_unlocked()
    with pytest.raises(sn.SyncFfiError.Locked):
        run(b.search("budget", None, None, 5))
    run(b.unlock(PASSWORD))
    assert run(b.search(words, None, None, 5))


def test_quota_exceeded_is_a_typed_exception(tmp_path):
    email, token = add_user()
    conn = sqlite3.connect(os.path.join(SERVER_DATA, "metadata.sqlite3"), timeout=10)
    with conn:
        conn.execute("UPDATE users SET storage_used = 100000000000 - 1000 WHERE email = ?", (email,))
    conn.close()
    q = sn.SyncManager(config(device_dir(tmp_path, "q", "SYNC_FIXTURE"), token, "full"))
    run(q.init(PASSWORD))
    with pytest.raises(sn.SyncFfiError.QuotaExceeded) as full:
        run(q.push())
    assert full.value.code == "QUOTA_EXCEEDED"
    assert "QUOTA_EXCEEDED" in str(full.value)
    status = run(q.status())
    assert status.pending_uploads > 0, "sealed blobs stay pending for later"
    # The service shows the same error with its code, and does not retry it by backoff.
    with pytest.raises(sn.SyncFfiError.QuotaExceeded):
        run(q.trigger_now())
    state = run(q.status()).state
    assert isinstance(state, sn.SyncState.ERROR) and state.code == "QUOTA_EXCEEDED" and not state.retrying


def test_password_change_recovery_and_viewer_crypto(tmp_path):
    _, token = add_user()
    a_dir = device_dir(tmp_path, "a", "SYNC_FIXTURE")
    a = sn.SyncManager(config(a_dir, token, "A"))
    phrase = run(a.init(PASSWORD)).recovery_phrase
    run(a.push())
    with pytest.raises(sn.SyncFfiError.WrongPassword):
        run(a.change_password("wrong old password 99", "a brand new password 2027"))
    run(a.change_password(PASSWORD, "a brand new password 2027"))
    with pytest.raises(sn.SyncFfiError.WrongPassword):
        run(a.unlock(PASSWORD))
    run(a.unlock("a brand new password 2027"))
    run(a.recover(phrase, PASSWORD))
    run(a.unlock(PASSWORD))
    device_id = run(a.status()).device_id

    # A viewer: the envelope from POST /init, unlocked by the core, a text blob opened.
    def api(path, body):
        req = urllib.request.Request(
            f"{SERVER}/api/sync{path}",
            data=json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {token}", "X-Device-Id": device_id, "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req) as r:
            return json.loads(r.read())

    init = api("/init", {"device_id": device_id, "device_name": "A", "device_os": "linux"})
    keys = sn.unlock_envelope(json.dumps(init["envelope"]), PASSWORD, json.dumps(init["keyring"]), None)
    assert keys.key_version() == 1 and keys.key_ids() == [keys.key_id()]
    with pytest.raises(sn.SyncFfiError.WrongPassword):
        sn.unlock_envelope(json.dumps(init["envelope"]), "wrong", None, None)
    with pytest.raises(sn.SyncFfiError.Rollback) as rollback:
        sn.unlock_envelope(json.dumps(init["envelope"]), PASSWORD, None, 2)
    assert rollback.value.code == "rollback"
    with pytest.raises(sn.SyncFfiError.InvalidInput):
        sn.unlock_envelope("{not json", PASSWORD, None, None)
    by_phrase = sn.unlock_recovery_envelope(json.dumps(init["recovery_envelope"]), phrase, None, None)
    assert by_phrase.key_id() == keys.key_id()

    now_ms = int(time.time() * 1000)
    listing = api("/download", {"time_range": {"start": "2000-01-01T00:00:00.000Z", "end": "2100-01-01T00:00:00.000Z"}, "blob_types": ["text"], "limit": 5})
    blob = listing["blobs"][0]
    with urllib.request.urlopen(blob["download_url"] if blob["download_url"].startswith("http") else SERVER + blob["download_url"]) as r:
        data = r.read()

    def ms(text):
        return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)

    ctx = sn.BlobContextRecord(
        blob_id=blob["blob_id"],
        blob_type="text",
        device_id=blob["device_id"],
        time_start_ms=ms(blob["time_start"]),
        time_end_ms=ms(blob["time_end"]),
    )
    bundle = json.loads(keys.open_records_json(data, ctx))
    assert bundle["device_id"] == device_id
    assert bundle["v"] == 2

    # screenpipe 0.4.50's snapshots: a frame names its JPEG as an entry of a media pack in a
    # frames blob; the viewer opens the pack and reads the entry, byte for byte the fixture's.
    frame = next(f for f in bundle["frames"] if f.get("snapshot") and f["snapshot"]["blob_id"])
    snap = frame["snapshot"]
    pack_blob = api("/download", {"blob_ids": [snap["blob_id"]]})["blobs"][0]
    assert pack_blob["blob_type"] == "frames"
    url = pack_blob["download_url"]
    with urllib.request.urlopen(url if url.startswith("http") else SERVER + url) as r:
        pack_data = r.read()
    pack_ctx = sn.BlobContextRecord(
        blob_id=pack_blob["blob_id"],
        blob_type="frames",
        device_id=pack_blob["device_id"],
        time_start_ms=ms(pack_blob["time_start"]),
        time_end_ms=ms(pack_blob["time_end"]),
    )
    payload = keys.open_blob(pack_data, pack_ctx)
    assert sn.is_media_pack(payload) and not sn.is_media_pack(b"\0\0\0\x18ftypisom")
    entries = sn.media_pack_entries(payload)
    entry = next(e for e in entries if e.name == snap["entry"])
    assert entry.content_type == "image/jpeg" and ms(pack_blob["time_start"]) <= entry.time_ms <= ms(pack_blob["time_end"])
    jpeg = sn.media_pack_entry(payload, snap["entry"])
    assert payload[entry.offset : entry.offset + entry.size] == jpeg
    original = next(p for p in a_dir.rglob(snap["file_name"]) if p.is_file())
    assert jpeg == original.read_bytes() and jpeg[:2] == b"\xff\xd8"
    assert keys.open_snapshot(pack_data, pack_ctx, snap["entry"]) == jpeg
    assert sn.media_pack_entry(payload, "not-in-this-pack.jpg") is None
    with pytest.raises(sn.SyncFfiError.Integrity) as cut:
        sn.media_pack_entries(payload[:-1])
    assert cut.value.code == "truncated"
    with pytest.raises(sn.SyncFfiError.InvalidInput) as longer:
        sn.media_pack_entry(payload + b"x", snap["entry"])
    assert longer.value.code == "malformed"
    with pytest.raises(sn.SyncFfiError.InvalidInput) as not_frames:
        keys.open_snapshot(data, ctx, snap["entry"])
    assert not_frames.value.code == "invalid_input"
    assert keys.open_blob(data, ctx)
    tampered = bytearray(data)
    tampered[-1] ^= 1
    with pytest.raises(sn.SyncFfiError.Integrity):
        keys.open_blob(bytes(tampered), ctx)
    tokens = keys.query_tokens("budget review", now_ms - 40 * 86_400_000, now_ms)
    assert len(tokens) >= 4 and all(len(t) == 22 for t in tokens)
    assert sn.search_terms("Budget review, budget!") == ["budget", "review"]
    assert "QUOTA_EXCEEDED" in sn.error_codes() and "wrong_password" in sn.error_codes()


def cli_env(d, token, name, password=False):
    """The environment of `screenpipe-sync` on device folder d (a folder stands in for the OS
    keychain: the debug build's SCREENPIPE_SYNC_TEST_KEYS_DIR)."""
    env = dict(
        os.environ,
        SCREENPIPE_SYNC_SERVER=SERVER,
        SCREENPIPE_SYNC_TOKEN=token,
        SCREENPIPE_SYNC_DB=str(d / "db.sqlite"),
        SCREENPIPE_SYNC_DATA_DIR=str(d / "data"),
        SCREENPIPE_SYNC_STATE_DIR=str(d / "sync"),
        SCREENPIPE_SYNC_DEVICE_NAME=name,
        SCREENPIPE_SYNC_MEDIA_SETTLE_SECS="0",
        SCREENPIPE_SYNC_TEST_KEYS_DIR=str(d / "keychain"),
    )
    env.pop("SCREENPIPE_SYNC_PASSWORD", None)
    if password:
        env["SCREENPIPE_SYNC_PASSWORD"] = PASSWORD
    return env


def test_linking_python_and_the_cli_both_ways(tmp_path):
    _, token = add_user()
    cli = os.environ["SYNC_CLI_BIN"]
    a_dir = device_dir(tmp_path, "a", "SYNC_FIXTURE")
    env_a = cli_env(a_dir, token, "cli A", password=True)
    subprocess.run([cli, "init"], env=env_a, check=True, capture_output=True)
    subprocess.run([cli, "push"], env=env_a, check=True, capture_output=True)

    # The CLI links, Python joins with the code: no password; then pulls A's data.
    link = subprocess.Popen([cli, "link", "--yes"], env=env_a, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    code = next(line[len("code: "):].strip() for line in link.stdout if line.startswith("code: "))
    b_dir = device_dir(tmp_path, "b")
    b = sn.SyncManager(config(b_dir, token, "python B"))
    joined = run(b.join(code))
    assert joined.key_version == 1 and joined.device_id
    assert json.loads(joined.exported_keys)["format"] == "spsync-exported-keys"
    assert "exported_keys" not in repr(sn.LinkedDevice(name="x", os="y"))
    assert link.wait(timeout=60) == 0, link.stderr.read()
    assert b.is_unlocked()
    pulled = run(b.pull(None, None))
    assert pulled.imported_blobs > 0 and not pulled.failures
    # The keys `join` returned unlock a fresh manager of the same device (no password).
    b_again = sn.SyncManager(config(b_dir, token, "python B"))
    run(b_again.resume(joined.exported_keys))
    assert b_again.is_unlocked()

    # Python links, the CLI joins; the CLI then pulls without a password.
    session = run(b.link_start())
    assert session.link_uri().startswith("screenpipe-sync://link?v=1&code=")
    assert session.code().split("-")[0].isdigit() and len(session.code().split("-")) == 4
    c_dir = device_dir(tmp_path, "c")
    env_c = cli_env(c_dir, token, "cli C")
    joiner = subprocess.Popen([cli, "join", session.code(), "--json"], env=env_c, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    device = run(session.wait_for_joiner())
    assert device.name == "cli C" and device.os
    run(session.link_approve(True))
    out, err = joiner.communicate(timeout=60)
    assert joiner.returncode == 0, err
    assert json.loads(out)["remembered"] is True
    pull = subprocess.run([cli, "pull", "--json"], env=env_c, capture_output=True, text=True)
    assert pull.returncode == 0, pull.stderr
    with pytest.raises(sn.SyncFfiError) as ended:
        run(session.link_approve(True))
    assert ended.value.code == "invalid_state"

    # A wrong code: both sides fail with pairing_failed; a refusal: pairing_denied.
    d = sn.SyncManager(config(device_dir(tmp_path, "d"), token, "python D"))
    session = run(b.link_start())
    words = session.code().split("-")
    words[1] = "ability" if words[1] == "abandon" else "abandon"

    async def both(approve_with=None, code="-".join(words)):
        async def initiator():
            device = await session.wait_for_joiner()
            if approve_with is not None:
                await session.link_approve(approve_with)
            return device
        return await asyncio.gather(initiator(), d.join(code), return_exceptions=True)

    waited, joined = run(both())
    assert isinstance(waited, sn.SyncFfiError) and waited.code == "pairing_failed"
    assert isinstance(joined, sn.SyncFfiError) and joined.code == "pairing_failed"
    session = run(b.link_start())
    waited, joined = run(both(approve_with=False, code=session.code()))
    assert waited.name == "python D"
    assert isinstance(joined, sn.SyncFfiError) and joined.code == "pairing_denied"
    assert not d.is_unlocked()
    assert "PAIR_TAKEN" in sn.error_codes()


# The fixture's rows name its files by absolute path, in the shared fixture folder: a copy that
# archives and restores points them at its own files first (in a child process, see above).
REBASE = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], timeout=10)
with conn:
    for table, column in (("video_chunks", "file_path"), ("audio_chunks", "file_path"), ("frames", "snapshot_path")):
        conn.execute(f"UPDATE {table} SET {column} = replace({column}, ?, ?)", (sys.argv[2], sys.argv[3]))
conn.close()
"""


def rebase_media_paths(d, fixture="SYNC_FIXTURE"):
    subprocess.run([sys.executable, "-c", REBASE, str(d / "db.sqlite"), os.environ[fixture], str(d)], check=True)


TEXT_ROWS = """
import json, sqlite3, sys
conn = sqlite3.connect(sys.argv[1], timeout=10)
q = lambda sql: conn.execute(sql).fetchone()[0]
print(json.dumps({
    "elements": q("SELECT COUNT(*) FROM elements"),
    "transcriptions": q("SELECT COUNT(*) FROM audio_transcriptions"),
    "frames_with_text": q("SELECT COUNT(*) FROM frames WHERE full_text IS NOT NULL"),
    "text_bytes": q("SELECT COALESCE(SUM(LENGTH(full_text)), 0) FROM frames")
        + q("SELECT COALESCE(SUM(LENGTH(text)), 0) FROM elements")
        + q("SELECT COALESCE(SUM(LENGTH(transcription)), 0) FROM audio_transcriptions"),
}))
conn.close()
"""


def text_rows(db):
    """Counts and bytes of a 0.4.50 database's text rows (read in a child process)."""
    out = subprocess.run([sys.executable, "-c", TEXT_ROWS, str(db)], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def media_files(data_dir):
    """Every file under a data folder, by path, with its bytes."""
    out = {}
    for root, _, names in os.walk(data_dir):
        for n in names:
            p = os.path.join(root, n)
            with open(p, "rb") as f:
                out[p] = f.read()
    return out


def test_archive_restore_verify_with_reports_and_progress(tmp_path):
    _, token = add_user()
    a_dir = device_dir(tmp_path, "a", "SYNC_FIXTURE")
    rebase_media_paths(a_dir)
    a = sn.SyncManager(config(a_dir, token, "desktop A"))
    listener = Listener()
    a.set_listener(listener)
    with pytest.raises(sn.SyncFfiError.Locked):
        run(a.archive(0, [], True, False))
    run(a.init(PASSWORD))
    pushed = run(a.push())
    assert pushed.media_files > 0
    before = media_files(a_dir / "data")
    assert before
    tomorrow = int((time.time() + 86400) * 1000)

    # An unknown media type is a typed error; a dry run reports and changes nothing.
    with pytest.raises(sn.SyncFfiError) as bad:
        run(a.archive(tomorrow, ["text"], True, False))
    assert bad.value.code == "config"
    dry = run(a.archive(tomorrow, [], True, False))
    assert dry.dry_run and dry.files == pushed.media_files and not dry.skipped, dry
    assert media_files(a_dir / "data") == before

    # The real run, each blob read back first: every pushed file is offloaded, with progress.
    listener.progress.clear()
    done = run(a.archive(tomorrow, ["screen", "audio"], False, True))
    assert not done.dry_run and done.files == dry.files and done.read_back == done.files, done
    assert done.screen_files + done.audio_files == done.files and done.audio_files > 0
    assert done.bytes_freed > 0 and "evicted_at" in done.schema
    left = media_files(a_dir / "data")
    assert len(before) - len(left) == done.files
    assert sum(len(b) for p, b in before.items() if p not in left) == done.bytes_freed
    assert any(e.stage == sn.ProgressStage.DOWNLOADING for e in listener.progress)

    # verify: every uploaded blob listed as sealed; read back whole.
    checked = run(a.verify(False, None, None))
    assert checked.checked == pushed.uploaded_blobs and not checked.mismatches and checked.read == 0
    read = run(a.verify(True, None, None))
    assert read.read == read.checked == pushed.uploaded_blobs and not read.mismatches

    # restore: this device's files back byte for byte; twice changes nothing.
    listener.progress.clear()
    back = run(a.restore(None, None, [], True))
    assert back.complete and back.restored == done.files and back.bytes == done.bytes_freed, back
    assert back.other_devices is None
    assert media_files(a_dir / "data") == before
    assert any(e.stage == sn.ProgressStage.IMPORTING for e in listener.progress)
    again = run(a.restore(None, None, [], True))
    assert again.restored == 0 and again.already_present == done.files
    assert again.text.rows == 0 and not again.text.failed

    # drop_text: a dry run changes nothing; the real run drops exactly the rows it reports, each
    # proven in the cloud; restore writes every one back.
    db = a_dir / "db.sqlite"
    text_before = text_rows(db)
    assert text_before["elements"] > 0 and text_before["transcriptions"] > 0
    dry_text = run(a.drop_text(tomorrow, True))
    assert dry_text.dry_run and dry_text.bundles_proven == dry_text.bundles > 0, dry_text
    assert dry_text.rows_dropped == sum(dry_text.rows.values()) > 0 and not dry_text.kept, dry_text
    assert text_rows(db) == text_before
    listener.progress.clear()
    dropped = run(a.drop_text(tomorrow, False))
    assert not dropped.dry_run and dropped.rows == dry_text.rows and dropped.text_bytes > 0, dropped
    # Progress is throttled: the last event need not be the final count.
    imports = [e for e in listener.progress if e.stage == sn.ProgressStage.IMPORTING]
    assert imports and all(e.done <= e.total <= dropped.bundles for e in imports), imports
    text_after = text_rows(db)
    assert text_after["elements"] == text_before["elements"] - dropped.rows.get("elements", 0)
    assert text_after["transcriptions"] == text_before["transcriptions"] - dropped.rows.get("audio_transcriptions", 0)
    assert text_after["frames_with_text"] < text_before["frames_with_text"]
    assert text_after["text_bytes"] < text_before["text_bytes"]
    assert run(a.drop_text(tomorrow, False)).rows_dropped == 0, "a second drop finds nothing left"
    text_back = run(a.restore(None, None, [], True))
    assert text_back.complete and text_back.text.rows == dropped.rows_dropped and not text_back.text.failed, text_back
    assert text_rows(db) == text_before

    # Another device of the account restores A's rows and files of the range.
    b = sn.SyncManager(config(device_dir(tmp_path, "b"), token, "phone B"))
    run(b.init(PASSWORD))
    other = run(b.restore(None, None, [], False))
    assert other.complete and other.restored == 0, other
    assert other.other_devices.imported_blobs > 0 and other.other_devices.media_written > 0
    assert other.other_devices.rows_inserted > 0 and not other.other_devices.failures
